"""Image thumbnails and a full-size copy, re-encoded from pixels so no metadata survives.

An uploaded photo carries EXIF (camera serial, time, GPS position), XMP, an ICC profile
and text chunks; none of it may reach another reader. Every output here is a new image
made from decoded pixel data and saved without ``exif=``/``icc_profile=``/``pnginfo=``:
nothing of the input's ``info`` can be written back. Before that:

* EXIF orientation is applied (``ImageOps.exif_transpose``): a phone photo taken upright
  comes out upright, with no orientation tag left to honor.
* An embedded ICC profile is applied, converting the pixels to sRGB (what a browser
  assumes without a profile), so a Display P3 photo keeps its colors once the profile
  is gone. A profile that fails to load is ignored.

Limits (the decoder runs on untrusted bytes): at most ``MAX_INPUT_BYTES`` of input, at
most ``MAX_PIXELS`` pixels (``Image.MAX_IMAGE_PIXELS``, with Pillow's
``DecompressionBombWarning`` raised as an error so the whole band between the limit and
Pillow's own hard error is rejected too) and ``MAX_SIDE`` pixels a side. The pixel check
reads the header only: a bomb is rejected before anything is allocated or decoded. Only
the formats in ``FORMATS`` are decoded, the same as ``inspect.ACCEPTED_IMAGE_TYPES``:
bytes in any other format Pillow could read (TIFF, BMP, PSD, ...) are "not an image".

Output formats:

* Thumbnails (``make_thumbnails``): JPEG when the image has no transparency actually
  used (an all-opaque alpha channel counts as none), PNG when it has. A thumbnail never
  upscales: an image smaller than a size is re-encoded at its own size. Animations give
  their first frame.
* Full size (``strip_metadata``): the source's own family, so a screenshot stays
  lossless: JPEG stays JPEG, WebP stays WebP, PNG and a still GIF become PNG. An
  animated GIF, APNG or WebP stays animated (every frame re-made from pixels) when all
  its frames together fit in ``MAX_PIXELS``; past that it becomes its first frame. An
  animation's frames are not turned or color-converted (GIF has neither EXIF nor ICC).

Pillow is imported on the first call: importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

SIZES: dict[str, int] = {"small": 160, "medium": 480, "large": 1024}  # longest side in px

MAX_INPUT_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 40_000_000  # width x height of one frame (a 48 MP phone photo is over it)
MAX_SIDE = 32_000  # browsers' canvas limit; JPEG cannot encode past 65,500
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")  # "JPEG" opens MPO too (a JPEG with extra images: iPhone)
THUMBNAIL_QUALITY = 85
FULL_QUALITY = 90


class ImageRejected(Exception):
    """The bytes will not be decoded. ``reason``: ``"decompression_bomb"`` (more pixels than
    ``MAX_PIXELS``), ``"too_large"`` (more than ``MAX_INPUT_BYTES`` or a side longer than
    ``MAX_SIDE``) or ``"not_an_image"`` (not an accepted format, or it fails to decode)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def make_thumbnails(data: bytes) -> dict[str, tuple[bytes, str]]:
    """``{size name: (bytes, content type)}`` for every ``SIZES`` entry; ImageRejected if the
    bytes are not an image we decode."""
    with _decoding():
        source = _open(data)
        if source.format in ("JPEG", "MPO"):
            largest = max(SIZES.values())
            source.draft("RGB", (largest, largest))  # decode at 1/2, 1/4 or 1/8 when that still covers it
        image = _prepare(source)
    results: dict[str, tuple[bytes, str]] = {}
    for name, side in sorted(SIZES.items(), key=lambda item: -item[1]):  # each from the next larger one
        image = _fit(image, side)
        results[name] = _encode_thumbnail(image)
    return {name: results[name] for name in SIZES}


def strip_metadata(data: bytes) -> tuple[bytes, str] | None:
    """The full-size image re-encoded without metadata, as ``(bytes, content type)``; None
    if the bytes are not an image we decode. ImageRejected for a decompression bomb or an
    image too large (the processor must not store those as they are either)."""
    try:
        with _decoding():
            source = _open(data)
            fmt = str(source.format)
            animation = _animation(source)
            image = _prepare(source) if animation is None else None
    except ImageRejected as rejected:
        if rejected.reason == "not_an_image":
            return None
        raise
    if animation is not None:
        return _encode_animation(fmt, *animation)
    return _encode_full(fmt, image)


# -- decoding ------------------------------------------------------------------------


@contextlib.contextmanager
def _decoding() -> Iterator[None]:
    """Pillow's many failure modes become ImageRejected; its bomb warning is an error."""
    pil = _pil()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pil.DecompressionBombWarning)
            yield
    except ImageRejected:
        raise
    except (pil.DecompressionBombError, pil.DecompressionBombWarning) as exc:
        raise ImageRejected("decompression_bomb") from exc
    except MemoryError:
        raise
    except Exception as exc:  # malformed input raises OSError, ValueError, SyntaxError, struct.error, ...
        raise ImageRejected("not_an_image") from exc


def _open(data: bytes) -> Image:
    """Parse the header only (nothing decoded yet) and check the limits."""
    if len(data) > MAX_INPUT_BYTES:
        raise ImageRejected("too_large")
    pil = _pil()
    pil.MAX_IMAGE_PIXELS = MAX_PIXELS  # set on every call: nothing else can have raised it
    image = pil.open(io.BytesIO(data), formats=FORMATS)
    _check_size(image.size)
    return image


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageRejected("decompression_bomb")
    if max(width, height) > MAX_SIDE:
        raise ImageRejected("too_large")


def _prepare(source: Image) -> Image:
    """The current frame decoded, upright, in sRGB, as RGB or (if transparency is used)
    RGBA, in a new image that carries no ``info`` of the source."""
    image = _upright(source)
    _check_size(image.size)
    image = _srgb(image, source.info.get("icc_profile"))
    return _bare(_rgb_or_rgba(image))


def _upright(source: Image) -> Image:
    """The decoded frame turned as its EXIF orientation says (in place: no copy of a
    large photo)."""
    from PIL import ImageOps

    source.load()
    with contextlib.suppress(Exception):  # a malformed EXIF block: keep the pixels as stored
        ImageOps.exif_transpose(source, in_place=True)
    return source


def _srgb(image: Image, icc: bytes | None) -> Image:
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    from PIL import ImageCms

    out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        return ImageCms.profileToProfile(
            image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _srgb_profile(), outputMode=out_mode
        )
    except Exception:  # an unreadable or mismatched profile: use the pixels as they are
        return image


@lru_cache(maxsize=1)
def _srgb_profile() -> Any:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _rgb_or_rgba(image: Image) -> Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit grayscale PNG
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not transparent:
        return image if image.mode == "RGB" else image.convert("RGB")
    image = image.convert("RGBA")
    if image.getchannel("A").getextrema()[0] == 255:  # alpha present, never used
        return image.convert("RGB")
    return image


def _bare(image: Image) -> Image:
    """A new image with the same pixels and an empty ``info`` (``convert``, ``resize`` and
    ``transpose`` all copy the source's ``info``, EXIF and ICC profile included)."""
    bare = _pil().new(image.mode, image.size)
    bare.paste(image)
    return bare


def _fit(image: Image, side: int) -> Image:
    """``image`` scaled down so its longest side is ``side``; never up."""
    width, height = image.size
    if max(width, height) <= side:
        return image
    scale = side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return _bare(image.resize(size, _pil().Resampling.LANCZOS, reducing_gap=3.0))


def _animation(source: Image) -> tuple[list[Image], list[int], int | None] | None:
    """(frames as bare RGBA images, durations in ms, loop count) of an animation that fits
    the limits; None for a still image or one too big to keep animated."""
    if not getattr(source, "is_animated", False) or source.format not in ("GIF", "PNG", "WEBP"):
        return None
    frames, durations, pixels = [], [], 0
    for index in range(int(source.n_frames)):
        source.seek(index)
        _check_size(source.size)
        pixels += source.size[0] * source.size[1]
        if pixels > MAX_PIXELS:
            source.seek(0)
            return None  # too big to keep animated: its first frame, as a still
        frames.append(_bare(source.convert("RGBA")))
        durations.append(int(source.info.get("duration") or 100))
    loop = source.info.get("loop")
    return frames, durations, None if loop is None else int(loop)


# -- encoding ------------------------------------------------------------------------


def _encode_thumbnail(image: Image) -> tuple[bytes, str]:
    if image.mode == "RGBA":
        return _save(image, "PNG"), "image/png"
    return _save(image, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True), "image/jpeg"


def _encode_full(fmt: str, image: Image) -> tuple[bytes, str]:
    if fmt == "WEBP":
        return _save(image, "WEBP", quality=FULL_QUALITY), "image/webp"
    if fmt in ("JPEG", "MPO") and image.mode == "RGB":
        return _save(image, "JPEG", quality=FULL_QUALITY, optimize=True), "image/jpeg"
    return _save(image, "PNG"), "image/png"


def _encode_animation(fmt: str, frames: list[Image], durations: list[int], loop: int | None) -> tuple[bytes, str]:
    options: dict[str, Any] = {"save_all": True, "append_images": frames[1:], "duration": durations}
    if loop is not None:
        options["loop"] = loop
    if fmt == "GIF":
        return _save(frames[0], "GIF", disposal=2, **options), "image/gif"
    if fmt == "WEBP":
        return _save(frames[0], "WEBP", quality=FULL_QUALITY, **options), "image/webp"
    return _save(frames[0], "PNG", **options), "image/png"  # APNG


def _save(image: Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _pil() -> Any:
    """PIL.Image, with the plugins of ``FORMATS`` registered (``Image.open`` with a
    ``formats`` list loads every plugin Pillow has the first time one is missing)."""
    from PIL import GifImagePlugin, JpegImagePlugin, PngImagePlugin, WebPImagePlugin  # noqa: F401
    from PIL import Image as pil

    return pil
