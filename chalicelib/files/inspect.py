"""What an upload is: a display-safe filename, the type its bytes show, and whether that
agrees with the type the client declared.

The client controls both the filename and the declared ``Content-Type``; neither is
trusted. ``safe_filename`` makes the name fit for a listing and a ``Content-Disposition``
header. ``sniff`` reads the magic numbers of the first bytes (the ``filetype`` package,
pure Python, plus stricter checks of our own for native executables). ``type_matches``
decides whether the declared type may stand (its docstring has the rule).

Decisions:

* Shell and other ``#!`` scripts are text, not executables: ``sniff`` never reports
  them (a developer chat shares scripts as ``text/plain`` or ``text/x-python`` all day).
  The executables it reports are native binaries: ELF, PE/DOS (``MZ``), Mach-O.
* ``MZ`` alone is not enough for PE (``filetype`` says ``x-msdownload`` for any file
  starting with those two letters, such as a text file starting "MZ ..."): the header
  must point at a ``PE\\0\\0`` signature or look like a DOS header.
* Accepted images are the ones browsers show and the thumbnailer decodes: JPEG, PNG
  (and APNG), GIF, WebP. Not SVG (it carries script), not HEIC/AVIF/TIFF/BMP.

``filetype`` is imported on the first ``sniff``: importing this module stays cheap.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from functools import lru_cache
from typing import Any

MAX_FILENAME_BYTES = 255  # UTF-8, what most filesystems allow for one name
MAX_EXTENSION_CHARS = 16  # a longer "extension" is not one: truncation does not keep it
DEFAULT_FILENAME = "file"
SNIFF_BYTES = 8192  # what the caller reads for ``sniff`` (at least), what filetype looks at

ACCEPTED_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/apng", "image/gif", "image/webp"})

# What ``sniff`` reports for a native executable.
SNIFFED_EXECUTABLE_TYPES = frozenset(
    {"application/x-executable", "application/x-msdownload", "application/x-mach-binary"}
)
# Declared types that say "this is a program": an executable may be uploaded as one of these.
EXECUTABLE_TYPES = SNIFFED_EXECUTABLE_TYPES | frozenset(
    {
        "application/x-elf",
        "application/x-sharedlib",
        "application/x-pie-executable",
        "application/x-dosexec",
        "application/x-ms-dos-executable",
        "application/x-msdos-program",
        "application/vnd.microsoft.portable-executable",
        "application/x-mach-o-executable",
        "application/x-sh",
        "application/x-shellscript",
        "text/x-sh",
        "text/x-shellscript",
    }
)

_SEPARATORS = re.compile(r"[/\\]")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})  # controls, format (bidi overrides, zero-width), surrogates
_DROPPED_CHARS = frozenset("\"'\\")

_ELF = b"\x7fELF"
_MACHO = frozenset({b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"})
_FAT_MACHO = frozenset({b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"})  # also a Java class file's magic


def safe_filename(name: str) -> str:
    """The client's filename fit for display and ``Content-Disposition``.

    Only the last path component is kept (``/`` and ``\\`` both separate: ``C:\\x\\y.png``
    is ``y.png``), NFC-normalized. Control and format characters (NUL, bidi overrides
    like U+202E that make ``exe.png`` of ``gnp.exe``, zero-width characters) and quotes
    and backslashes are dropped, any whitespace run becomes one space, leading dots and
    spaces go (no hidden ``.bashrc``, no ``..``). A name longer than 255 bytes of UTF-8 is
    cut at a character boundary, keeping its extension. Nothing left gives ``"file"``.
    """
    name = _SEPARATORS.split(unicodedata.normalize("NFC", name))[-1]
    kept = []
    for char in name:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES and char not in _DROPPED_CHARS:
            kept.append(char)
    name = unicodedata.normalize("NFC", " ".join("".join(kept).split())).lstrip(". ")
    if len(name.encode()) > MAX_FILENAME_BYTES:
        name = _truncate(name)
    return name or DEFAULT_FILENAME


def _truncate(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and 0 < len(extension) <= MAX_EXTENSION_CHARS and " " not in extension):
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode("utf-8", "ignore").rstrip(" ")
    return f"{stem}{suffix}" if stem else suffix.lstrip(".")


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes show (pass at least ``SNIFF_BYTES``), or None when
    no signature matches (plain text, for one, has none)."""
    if not head:
        return None
    executable = _native_executable(head)
    if executable is not None:
        return executable
    kind = _filetype_match(bytes(head[:SNIFF_BYTES]))
    return str(kind.mime) if kind is not None else None


def type_matches(declared: str, sniffed: str | None) -> bool:
    """Whether the declared type may stand, given what ``sniff`` found. The rule, in order:

    1. A native executable (ELF, PE, Mach-O) matches only a declared executable type
       (``EXECUTABLE_TYPES``: ``application/x-msdownload``, ``application/x-sh``, ...).
       Not ``application/octet-stream``: a program must say it is one.
    2. A declared ``image/*`` must sniff as an image we accept (``ACCEPTED_IMAGE_TYPES``),
       not necessarily the declared one: a PNG named ``.jpg`` is still an image, and the
       sniffed type is the one to store. SVG, HEIC and unknown bytes do not match.
    3. A declared ``application/pdf`` must sniff as PDF.
    4. Anything else matches, whatever was sniffed or not: ``text/plain`` or
       ``application/octet-stream`` with no signature found, a ``.docx`` that sniffs as
       a zip. So does ``text/plain`` on bytes with a PNG (or any other non-executable)
       signature: the claim "this is text" makes nobody decode the bytes as something
       else, and the bytes are a harmless PNG. Only rules 2 and 3 lead to decoding the
       bytes as what they claim to be (thumbnails, previews), so only those claims must
       be true. A caller that goes by the sniffed type afterwards should make
       thumbnails only of an ``ACCEPTED_IMAGE_TYPES`` one: a TIFF or HEIC declared as
       ``application/octet-stream`` matches here, and is a file, not an image.

    The declared type is compared case-insensitively without parameters (``; charset=``);
    an empty one counts as ``application/octet-stream``.
    """
    essence = declared.split(";", 1)[0].strip().lower() or "application/octet-stream"
    if sniffed in EXECUTABLE_TYPES:
        return essence in EXECUTABLE_TYPES
    if essence.startswith("image/"):
        return sniffed in ACCEPTED_IMAGE_TYPES
    if essence == "application/pdf":
        return sniffed == "application/pdf"
    return True


def _native_executable(head: bytes) -> str | None:
    magic = bytes(head[:4])
    if magic == _ELF:
        return "application/x-executable"
    if magic in _MACHO:
        return "application/x-mach-binary"
    if magic in _FAT_MACHO and len(head) >= 8 and 0 < struct.unpack(">I", head[4:8])[0] < 20:
        return "application/x-mach-binary"  # a Java class has its version (>= 45) there
    if magic[:2] == b"MZ" and _is_pe_or_dos(head):
        return "application/x-msdownload"
    return None


def _is_pe_or_dos(head: bytes) -> bool:
    if len(head) < 64:
        return False
    last_page_bytes, pages, _, header_paragraphs = struct.unpack("<4H", head[2:10])
    (pe_offset,) = struct.unpack("<I", head[0x3C:0x40])
    if 64 <= pe_offset <= len(head) - 4 and head[pe_offset : pe_offset + 4] == b"PE\0\0":
        return True
    return last_page_bytes < 512 and pages > 0 and header_paragraphs >= 2


def _filetype_match(head: bytes) -> Any:
    import filetype

    return filetype.match(head, _matchers())


@lru_cache(maxsize=1)
def _matchers() -> tuple[Any, ...]:
    """filetype's matchers less its ``MZ``-only PE check (``_native_executable`` decides)."""
    import filetype
    from filetype.types import archive

    return tuple(m for m in filetype.types if not isinstance(m, archive.Exe))
