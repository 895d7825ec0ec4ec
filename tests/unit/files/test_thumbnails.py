import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from chalicelib.files import thumbnails
from chalicelib.files.thumbnails import MAX_PIXELS, SIZES, ImageRejected, make_thumbnails, strip_metadata

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
SECRETS = (b"SecretCam", b"2024:01:02 03:04:05", b"gps-comment", b"xmp-secret", b"png-text-secret")
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b"<rdf:Description>xmp-secret</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def srgb_icc():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_block(orientation=1):
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0132] = "2024:01:02 03:04:05"  # DateTime
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0), 27: b"ASCII\0\0\0gps-comment"}
    return exif


def encode(image, fmt, **options):
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def photo(size=(4000, 3000), orientation=1, color=(120, 140, 160)):
    """A JPEG as a phone writes it: EXIF with GPS, an ICC profile, XMP, a comment. Its
    top-left corner is red, to see where it goes when the orientation is applied."""
    image = Image.new("RGB", size, color)
    image.paste(RED, (0, 0, size[0] // 4, size[1] // 4))
    return encode(image, "JPEG", exif=exif_block(orientation), icc_profile=srgb_icc(), xmp=XMP, comment=b"gps-comment")


def png_with_metadata(mode="RGB", size=(300, 200), color=(10, 200, 30)):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "png-text-secret")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return encode(Image.new(mode, size, color), "PNG", pnginfo=info, exif=exif_block(), icc_profile=srgb_icc())


def opened(data):
    return Image.open(BytesIO(data))


def outputs(data):
    """Every output: the thumbnails and the full size."""
    results = dict(make_thumbnails(data))
    results["full"] = strip_metadata(data)
    return results


def assert_no_metadata(data):
    image = opened(data)
    assert len(image.getexif()) == 0
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "dpi"):
        assert key not in image.info, key
    for marker in (
        b"Exif\0\0",
        b"http://ns.adobe.com/xap",
        b"ICC_PROFILE",
        b"iCCP",
        b"eXIf",
        b"tEXt",
        b"iTXt",
        b"zTXt",
    ):
        assert marker not in data, marker
    for secret in SECRETS:
        assert secret not in data, secret


def header_only_png(width, height):
    """A PNG that declares its size and has no pixel data at all."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def close(pixel, expected, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


# -- sizes ---------------------------------------------------------------------------


def test_sizes_are_the_longest_side():
    result = make_thumbnails(photo((4000, 3000)))
    assert list(result) == ["small", "medium", "large"]
    assert {name: opened(data).size for name, (data, _) in result.items()} == {
        "small": (160, 120),
        "medium": (480, 360),
        "large": (1024, 768),
    }
    assert {content_type for _, content_type in result.values()} == {"image/jpeg"}
    assert all(opened(data).format == "JPEG" for data, _ in result.values())


def test_a_portrait_image_is_bounded_by_its_height():
    result = make_thumbnails(encode(Image.new("RGB", (900, 1800)), "PNG"))
    assert {name: opened(data).size for name, (data, _) in result.items()} == {
        "small": (80, 160),
        "medium": (240, 480),
        "large": (512, 1024),
    }


def test_a_thumbnail_never_upscales():
    result = make_thumbnails(encode(Image.new("RGB", (300, 200), GREEN), "PNG"))
    assert {name: opened(data).size for name, (data, _) in result.items()} == {
        "small": (160, 107),
        "medium": (300, 200),
        "large": (300, 200),
    }


def test_a_one_pixel_image_and_an_extreme_aspect_ratio():
    assert {opened(d).size for d, _ in make_thumbnails(encode(Image.new("RGB", (1, 1)), "PNG")).values()} == {(1, 1)}
    thin = make_thumbnails(encode(Image.new("L", (20000, 10)), "PNG"))
    assert opened(thin["small"][0]).size == (160, 1)
    assert opened(thin["large"][0]).size == (1024, 1)


def test_sizes_are_the_documented_ones():
    assert SIZES == {"small": 160, "medium": 480, "large": 1024}


# -- orientation ---------------------------------------------------------------------


def test_exif_orientation_6_comes_out_rotated():
    data = photo((400, 300), orientation=6)  # stored landscape, shown portrait (turned 90 degrees clockwise)
    assert opened(data).size == (400, 300)
    result = outputs(data)
    assert opened(result["large"][0]).size == (300, 400)
    assert opened(result["medium"][0]).size == (300, 400)
    assert opened(result["small"][0]).size == (120, 160)
    assert opened(result["full"][0]).size == (300, 400)
    for data_out, _ in result.values():
        image = opened(data_out).convert("RGB")
        width, _ = image.size
        assert close(image.getpixel((width - 3, 2)), RED, 40)  # the stored top-left is now top-right
        assert not close(image.getpixel((2, 2)), RED, 40)


@pytest.mark.parametrize(("orientation", "size"), [(1, (400, 300)), (3, (400, 300)), (8, (300, 400))])
def test_other_orientations(orientation, size):
    assert opened(make_thumbnails(photo((400, 300), orientation=orientation))["large"][0]).size == size


def test_a_malformed_exif_block_does_not_reject_the_image():
    data = bytearray(photo((400, 300), orientation=6))
    start = data.index(b"Exif\0\0") + 6
    data[start : start + 8] = b"XX\x00\x2a\xff\xff\xff\xff"  # a TIFF header that points nowhere
    result = make_thumbnails(bytes(data))
    assert opened(result["large"][0]).size in ((400, 300), (300, 400))


# -- metadata ------------------------------------------------------------------------


def test_the_inputs_do_carry_metadata():
    image = opened(photo())
    assert image.getexif()[0x010F] == "SecretCam" and image.getexif().get_ifd(0x8825)
    assert {"exif", "icc_profile", "comment"} <= set(image.info) and b"xmp-secret" in photo()
    png = opened(png_with_metadata())
    assert {"exif", "icc_profile", "Comment", "XML:com.adobe.xmp"} <= set(png.info)


@pytest.mark.parametrize(
    "make",
    [
        lambda: photo(),
        lambda: photo((400, 300), orientation=6),
        lambda: png_with_metadata(),
        lambda: png_with_metadata("RGBA", color=(10, 200, 30, 100)),
        lambda: encode(Image.new("RGB", (600, 400), BLUE), "WEBP", exif=exif_block(), icc_profile=srgb_icc(), xmp=XMP),
        lambda: encode(Image.new("RGB", (64, 48), BLUE), "GIF", comment=b"gps-comment"),
    ],
    ids=["jpeg", "jpeg-rotated", "png", "png-alpha", "webp", "gif"],
)
def test_no_metadata_survives_in_any_output(make):
    for name, (data, _) in outputs(make()).items():
        try:
            assert_no_metadata(data)
        except AssertionError as failure:
            raise AssertionError(f"{name}: {failure}") from None


def test_a_broken_icc_profile_is_ignored_not_fatal():
    data = encode(Image.new("RGB", (50, 50), GREEN), "JPEG", icc_profile=b"not a profile" * 20)
    result = outputs(data)
    assert close(opened(result["small"][0]).getpixel((25, 25)), GREEN, 20)
    assert_no_metadata(result["full"][0])


def swapped_red_green_icc():
    """The sRGB profile with its red and green primaries swapped: pixels stored as red
    mean green. Converting them to sRGB must turn them green."""
    icc = bytearray(srgb_icc())
    (count,) = struct.unpack(">I", icc[128:132])
    entries = {bytes(icc[132 + 12 * i : 136 + 12 * i]): 136 + 12 * i for i in range(count)}
    red, green = entries[b"rXYZ"], entries[b"gXYZ"]
    icc[red : red + 8], icc[green : green + 8] = icc[green : green + 8], icc[red : red + 8]
    return bytes(icc)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_icc_profile_is_applied_before_it_is_dropped(fmt):
    data = encode(Image.new("RGB", (40, 40), (220, 0, 0)), fmt, icc_profile=swapped_red_green_icc())
    for output, _ in outputs(data).values():
        red, green, _ = opened(output).convert("RGB").getpixel((20, 20))
        assert green > 150 and red < 80  # stored red under this profile is green in sRGB
        assert "icc_profile" not in opened(output).info


# -- formats and transparency --------------------------------------------------------


def test_transparency_gives_png():
    data = encode(Image.new("RGBA", (600, 400), (0, 0, 255, 128)), "PNG")
    for output, content_type in make_thumbnails(data).values():
        assert content_type == "image/png"
        image = opened(output)
        assert image.format == "PNG" and image.mode == "RGBA" and image.getpixel((5, 5))[3] == 128


def test_an_alpha_channel_that_is_all_opaque_gives_jpeg():
    data = encode(Image.new("RGBA", (600, 400), (0, 0, 255, 255)), "PNG")
    assert {content_type for _, content_type in make_thumbnails(data).values()} == {"image/jpeg"}


def test_a_palette_gif_with_a_transparent_color_gives_png():
    image = Image.new("P", (100, 100), 0)
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    image.paste(1, (0, 0, 50, 100))
    data = encode(image, "GIF", transparency=1)
    small, content_type = make_thumbnails(data)["small"]
    assert content_type == "image/png"
    assert opened(small).getpixel((10, 50))[3] == 0 and opened(small).getpixel((90, 50)) == (255, 0, 0, 255)


@pytest.mark.parametrize(
    ("mode", "fmt", "options"),
    [
        ("L", "PNG", {}),
        ("1", "PNG", {}),
        ("LA", "PNG", {}),
        ("P", "PNG", {}),
        ("CMYK", "JPEG", {}),
        ("L", "JPEG", {}),
        ("RGB", "WEBP", {"lossless": True}),
        ("RGBA", "WEBP", {}),
    ],
)
def test_other_modes_decode(mode, fmt, options):
    result = outputs(encode(Image.new(mode, (700, 500)), fmt, **options))
    assert opened(result["medium"][0]).size == (480, 343)
    assert opened(result["full"][0]).size == (700, 500)


def test_sixteen_bit_grayscale_is_scaled_not_clipped_to_white():
    image = Image.new("I;16", (40, 40))
    image.putdata([0x8000] * 1600)  # half of 16-bit white
    data = encode(image, "PNG")
    assert opened(data).mode.startswith("I")
    assert close(opened(make_thumbnails(data)["small"][0]).getpixel((20, 20)), (128, 128, 128), 4)


def test_a_multi_picture_jpeg_like_an_iphone_photo():
    frames = [Image.new("RGB", (800, 600), RED), Image.new("RGB", (200, 150), BLUE)]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:], exif=exif_block(6))
    assert opened(data).format == "MPO"
    result = outputs(data)
    assert opened(result["large"][0]).size == (600, 800)
    assert result["full"][1] == "image/jpeg"
    assert close(opened(result["small"][0]).getpixel((10, 10)), RED, 20)
    assert_no_metadata(result["full"][0])


# -- animations ----------------------------------------------------------------------


def animated_gif(size=(64, 48), colors=(RED, GREEN, BLUE), durations=(100, 200, 300), **options):
    frames = [Image.new("RGB", size, color) for color in colors]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=list(durations), **options)


def test_an_animated_gif_thumbnail_is_its_first_frame():
    for data, content_type in make_thumbnails(animated_gif(loop=0)).values():
        image = opened(data)
        assert content_type == "image/jpeg" and not getattr(image, "is_animated", False)
        assert close(image.getpixel((10, 10)), RED)


def test_an_animated_gif_stays_animated_at_full_size():
    data, content_type = strip_metadata(animated_gif(loop=0, comment=b"gps-comment"))
    assert content_type == "image/gif"
    image = opened(data)
    assert image.n_frames == 3 and image.info["loop"] == 0
    seen = []
    for index in range(3):
        image.seek(index)
        seen.append((image.convert("RGB").getpixel((10, 10)), image.info["duration"]))
    assert seen == [(RED, 100), (GREEN, 200), (BLUE, 300)]
    assert b"gps-comment" not in data and "comment" not in opened(data).info


def test_an_animation_without_a_loop_still_plays_once():
    image = opened(strip_metadata(animated_gif())[0])
    assert image.n_frames == 3 and "loop" not in image.info


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_apng_and_animated_webp_stay_animated(fmt, content_type):
    frames = [Image.new("RGBA", (40, 30), (*color, 255)) for color in (RED, GREEN)]
    source = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=[50, 70], loop=0, lossless=True)
    data, got_type = strip_metadata(source)
    assert got_type == content_type
    image = opened(data)
    assert image.format == fmt and image.n_frames == 2
    image.seek(1)
    assert close(image.convert("RGB").getpixel((5, 5)), GREEN)


def test_an_animation_too_big_to_keep_becomes_its_first_frame(monkeypatch):
    monkeypatch.setattr(thumbnails, "MAX_PIXELS", 64 * 48 * 2)  # room for two of the three frames
    data, content_type = strip_metadata(animated_gif())
    image = opened(data)
    assert content_type == "image/png" and not getattr(image, "is_animated", False)
    assert close(image.getpixel((10, 10)), RED)


# -- full size -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mode", "options", "content_type"),
    [
        ("JPEG", "RGB", {}, "image/jpeg"),
        ("PNG", "RGB", {}, "image/png"),  # a screenshot stays lossless
        ("PNG", "RGBA", {}, "image/png"),
        ("GIF", "P", {}, "image/png"),  # a still GIF
        ("WEBP", "RGB", {}, "image/webp"),
        ("WEBP", "RGBA", {}, "image/webp"),
    ],
)
def test_full_size_keeps_size_and_format_family(fmt, mode, options, content_type):
    data, got_type = strip_metadata(encode(Image.new(mode, (1500, 1100)), fmt, **options))
    assert got_type == content_type
    assert opened(data).size == (1500, 1100)


def test_strip_metadata_is_none_for_what_is_not_an_image():
    assert strip_metadata(b"%PDF-1.7\n") is None
    assert strip_metadata(b"") is None


# -- rejections ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, world",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"\x89PNG\r\n\x1a\n" + b"broken" * 10,
        b"\x7fELF\x02\x01\x01" + bytes(100),
    ],
    ids=["empty", "text", "pdf", "broken-png", "elf"],
)
def test_not_an_image(data):
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnails(data)
    assert rejected.value.reason == "not_an_image"


def test_a_truncated_jpeg_is_not_an_image():
    data = photo((800, 600), color=(1, 2, 3))
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnails(data[: len(data) // 2])
    assert rejected.value.reason == "not_an_image"
    assert strip_metadata(data[: len(data) // 2]) is None


@pytest.mark.parametrize("fmt", ["TIFF", "BMP", "ICO", "PPM"])
def test_formats_pillow_reads_but_we_do_not_accept_are_not_images(fmt):
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnails(encode(Image.new("RGB", (32, 32)), fmt))
    assert rejected.value.reason == "not_an_image"


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails a test that decodes (allocates) any pixels."""
    calls = []

    def load(self):
        calls.append(self.size)
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


@pytest.mark.parametrize(
    "size",
    [
        (100_000, 100_000),  # past twice the limit: Pillow's DecompressionBombError
        (8_000, 6_000),  # 48 MP: between the limit and twice it, Pillow only warns; we reject
        (MAX_PIXELS // 1000 + 1, 1000),
    ],
)
def test_a_decompression_bomb_is_rejected_from_its_header(size, no_decoding):
    data = header_only_png(*size)
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnails(data)
    assert rejected.value.reason == "decompression_bomb"
    with pytest.raises(ImageRejected) as rejected:
        strip_metadata(data)  # raises too: a bomb is not "not an image"
    assert rejected.value.reason == "decompression_bomb"
    assert no_decoding == []
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS


def test_a_real_bomb_jpeg_is_rejected():
    data = encode(Image.new("L", (8000, 6000)), "JPEG", quality=10)
    assert len(data) < 2_000_000  # small file, 48 million pixels
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnails(data)
    assert rejected.value.reason == "decompression_bomb"


def test_exactly_the_limit_is_accepted(monkeypatch):
    monkeypatch.setattr(thumbnails, "MAX_PIXELS", 100 * 80)
    assert opened(make_thumbnails(encode(Image.new("RGB", (100, 80)), "PNG"))["small"][0]).size == (100, 80)
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnails(encode(Image.new("RGB", (101, 80)), "PNG"))
    assert rejected.value.reason == "decompression_bomb"


def test_too_many_bytes_is_too_large(monkeypatch):
    data = photo((64, 64))
    monkeypatch.setattr(thumbnails, "MAX_INPUT_BYTES", len(data) - 1)
    for call in (make_thumbnails, strip_metadata):
        with pytest.raises(ImageRejected) as rejected:
            call(data)
        assert rejected.value.reason == "too_large"


def test_a_side_past_max_side_is_too_large(no_decoding):
    with pytest.raises(ImageRejected) as rejected:
        make_thumbnails(header_only_png(thumbnails.MAX_SIDE + 1, 10))
    assert rejected.value.reason == "too_large"


def test_image_rejected_carries_its_reason():
    error = ImageRejected("too_large")
    assert error.reason == "too_large" and str(error) == "too_large"
