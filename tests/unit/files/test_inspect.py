import os
import struct
import subprocess
import sys
import unicodedata
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from chalicelib.files.inspect import (
    ACCEPTED_IMAGE_TYPES,
    MAX_FILENAME_BYTES,
    SNIFFED_EXECUTABLE_TYPES,
    safe_filename,
    sniff,
    type_matches,
)

ROOT = Path(__file__).resolve().parents[3]

# -- safe_filename -------------------------------------------------------------------

FILENAMES = [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("/abs/dir/", "file"),  # nothing after the last separator
    ("C:\\x\\y.png", "y.png"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("dir/sub\\mixed/name.txt", "name.txt"),
    ("a\x00b\x07c\x1b[31m.txt", "abc[31m.txt"),
    ("tab\tand\nnewline\r.txt", "tab and newline .txt"),
    ("invoice\u202egnp.exe", "invoicegnp.exe"),  # RIGHT-TO-LEFT OVERRIDE would show "exe.png"
    ("a\u2066b\u200bc\u200dd\ufeffe\u00adf.txt", "abcdef.txt"),  # isolates, zero-width, BOM, soft hyphen
    ('"quoted" it\'s.txt', "quoted its.txt"),
    ("  many   spaces\u00a0\u2028here  .txt", "many spaces here .txt"),
    (".bashrc", "bashrc"),
    ("...hidden", "hidden"),
    (". . .x", "x"),
    ("..", "file"),
    ("", "file"),
    ("   ", "file"),
    ("\x00\x01\u202e", "file"),
    ("e\u0301te\u0301.txt", "\u00e9t\u00e9.txt"),  # NFD in, NFC out
    ("日本語のファイル.pdf", "日本語のファイル.pdf"),
    ("party 🎉.png", "party 🎉.png"),
    ("C:y.png", "C:y.png"),  # a drive-relative name is still one component
]


@pytest.mark.parametrize(("name", "expected"), FILENAMES)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", [name for name, _ in FILENAMES])
def test_safe_filename_is_idempotent_and_clean(name):
    safe = safe_filename(name)
    assert safe_filename(safe) == safe
    assert unicodedata.is_normalized("NFC", safe)
    assert not set(safe) & set("/\\\"'")
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs") for c in safe)
    assert not safe.startswith((".", " ")) and safe == safe.strip()


def test_a_long_name_is_cut_to_255_bytes_keeping_its_extension():
    safe = safe_filename("a" * 300 + ".png")
    assert safe == "a" * (MAX_FILENAME_BYTES - 4) + ".png"


def test_a_long_multibyte_name_is_cut_at_a_character_boundary():
    safe = safe_filename("\u00e9" * 200 + ".png")  # 2 bytes each, 251 bytes for the stem
    assert safe == "\u00e9" * 125 + ".png"  # 250 + 4 bytes: half an é is not kept
    assert safe_filename("\u00e9" * 200 + ".tar.gz") == "\u00e9" * 126 + ".gz"  # ".tar" is part of the stem
    emoji = safe_filename("🎉" * 100 + ".jpeg")  # 4 bytes each
    assert emoji == "🎉" * 62 + ".jpeg" and len(emoji.encode()) == 253


def test_a_long_name_without_a_real_extension_is_just_cut():
    assert safe_filename("x" * 1000) == "x" * 255
    long_tail = safe_filename("a" * 300 + "." + "b" * 40)  # 40 characters is no extension
    assert long_tail == "a" * 255
    spaced = safe_filename("a" * 300 + ".not an extension")
    assert len(spaced.encode()) == 255 and spaced.startswith("a")


def test_a_long_name_loses_no_trailing_space_before_its_extension():
    safe = safe_filename("a" * 250 + " " + "b" * 10 + ".txt")
    assert safe == "a" * 250 + ".txt"  # cut at "a...a " then the space is dropped


# -- sniff ---------------------------------------------------------------------------


def image_bytes(fmt, mode="RGB", size=(8, 8)):
    out = BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


def pe_header(pe_offset=0x80):
    head = bytearray(1024)
    head[0:2] = b"MZ"
    head[2:10] = struct.pack("<4H", 0x90, 3, 0, 4)
    head[0x3C:0x40] = struct.pack("<I", pe_offset)
    head[pe_offset : pe_offset + 4] = b"PE\0\0"
    return bytes(head)


def dos_header():
    head = bytearray(pe_header())
    head[0x80:0x84] = b"\0\0\0\0"  # no PE signature: a plain DOS program
    return bytes(head)


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (image_bytes("PNG"), "image/png"),
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("GIF", "P"), "image/gif"),
        (image_bytes("WEBP"), "image/webp"),
        (image_bytes("BMP"), "image/bmp"),
        (image_bytes("TIFF"), "image/tiff"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf"),
        (b"PK\x03\x04" + bytes(40), "application/zip"),
        (ELF, "application/x-executable"),
        (b"\x7fELF", "application/x-executable"),  # filetype wants 52 bytes; we do not
        (pe_header(), "application/x-msdownload"),
        (dos_header(), "application/x-msdownload"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(24), "application/x-mach-binary"),  # 64-bit Mach-O
        (b"\xfe\xed\xfa\xce" + bytes(24), "application/x-mach-binary"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(40), "application/x-mach-binary"),  # universal binary
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(40), None),  # a Java class file (version 52)
        (b"MZ is where the notes start\n" * 10, None),  # text, not a program
        (b"MZ", None),
        (b"hello, world\n", None),
        (b"#!/bin/sh\necho hi\n", None),  # scripts are text (module docstring)
        (b"", None),
    ],
)
def test_sniff(head, mime):
    assert sniff(head) == mime


def test_sniff_finds_a_pe_header_anywhere_in_the_head():
    assert sniff(pe_header(pe_offset=0x1000) + bytes(8192)) == "application/x-msdownload"


def test_this_python_sniffs_as_an_executable():
    head = Path(os.path.realpath(sys.executable)).read_bytes()[:8192]
    assert sniff(head) in SNIFFED_EXECUTABLE_TYPES


# -- type_matches --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "sniffed", "expected"),
    [
        # images: must sniff as an accepted image, not necessarily the declared one
        ("image/png", "image/png", True),
        ("image/jpeg", "image/png", True),  # a PNG named .jpg is still an image
        ("IMAGE/PNG; name=x", "image/png", True),
        ("image/gif", "image/gif", True),
        ("image/webp", "image/webp", True),
        ("image/png", "image/apng", True),
        ("image/png", None, False),
        ("image/svg+xml", None, False),  # script-capable, never an accepted image
        ("image/heic", "image/heic", False),
        ("image/tiff", "image/tiff", False),
        ("image/png", "application/pdf", False),
        ("image/png", "application/x-executable", False),  # an ELF program calling itself a PNG
        ("image/png", "application/x-msdownload", False),
        # pdf
        ("application/pdf", "application/pdf", True),
        ("application/pdf", None, False),
        ("application/pdf", "image/png", False),
        ("application/pdf", "application/x-msdownload", False),
        # everything else: only executables are checked
        ("text/plain", None, True),
        ("text/plain; charset=utf-8", None, True),
        ("application/octet-stream", None, True),
        ("", None, True),
        ("text/plain", "image/png", True),  # decided: rule 4 of the docstring
        ("application/octet-stream", "image/png", True),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip", True),
        ("text/x-python", None, True),
        ("application/x-sh", None, True),
        ("text/plain", "application/x-msdownload", False),
        ("text/plain", "application/x-executable", False),
        ("application/octet-stream", "application/x-executable", False),  # a program must say so
        ("application/zip", "application/x-mach-binary", False),
        # executables declared as such
        ("application/x-msdownload", "application/x-msdownload", True),
        ("application/vnd.microsoft.portable-executable", "application/x-msdownload", True),
        ("application/x-executable", "application/x-executable", True),
        ("application/x-elf", "application/x-executable", True),
        ("application/x-mach-binary", "application/x-mach-binary", True),
        ("application/x-sh", "application/x-sh", True),
        ("text/plain", "application/x-sh", False),
    ],
)
def test_type_matches(declared, sniffed, expected):
    assert type_matches(declared, sniffed) is expected


def test_type_matches_end_to_end_an_elf_declared_as_png_is_refused():
    assert not type_matches("image/png", sniff(ELF))
    assert type_matches("image/png", sniff(image_bytes("PNG")))
    assert type_matches("text/plain", sniff(image_bytes("PNG")))


def test_accepted_images_are_what_the_thumbnailer_decodes():
    from chalicelib.files.thumbnails import FORMATS

    mimes = {f: Image.MIME[f] for f in FORMATS}
    assert set(mimes.values()) <= ACCEPTED_IMAGE_TYPES
    assert ACCEPTED_IMAGE_TYPES - set(mimes.values()) == {"image/apng"}  # a PNG to Pillow


# -- cold start ----------------------------------------------------------------------


def test_importing_the_package_imports_neither_pillow_nor_filetype():
    code = (
        "import sys\n"
        "import chalicelib.files, chalicelib.files.inspect, chalicelib.files.thumbnails, chalicelib.files.scanner\n"
        "print(any(m == 'PIL' or m.startswith('PIL.') for m in sys.modules), 'filetype' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
