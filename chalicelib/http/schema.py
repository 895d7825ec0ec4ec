"""Declarative request schemas: validation with field-level errors, plus JSON Schema
export for the OpenAPI document.

Small on purpose: pydantic would add ~100 ms and a compiled wheel to every cold start
for the few shapes an HTTP body has. Errors name the field (dotted path) and why.
Unknown fields are rejected.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.errors import ValidationError

_MISSING: Any = object()


class Field:
    json_type = "string"

    def __init__(
        self, *, required: bool = True, nullable: bool = False, default: Any = _MISSING, description: str = ""
    ):
        self.required = required and default is _MISSING
        self.nullable = nullable
        self.default = default
        self.description = description

    def clean(self, value: Any, path: str) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise ValidationError(f"{path} must not be null.", field=path)
        return self.check(value, path)

    def check(self, value: Any, path: str) -> Any:
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": [self.json_type, "null"] if self.nullable else self.json_type}
        if self.description:
            schema["description"] = self.description
        return schema


class Str(Field):
    def __init__(
        self,
        *,
        min_len: int = 0,
        max_len: int = 1000,
        pattern: str | None = None,
        pattern_hint: str = "",
        strip: bool = True,
        lower: bool = False,
        control_chars: bool = False,
        doc_pattern: str | Callable[[], str] | None = None,
        **kw: Any,
    ):
        super().__init__(**kw)
        # Where the service checks more than this field can (a URL's host, an emoji), the
        # part of its rule the document states: values matching it are accepted (a
        # callable when computing it is costly: only the document generator calls it).
        self.doc_pattern = doc_pattern
        self.min_len, self.max_len, self.strip, self.lower = min_len, max_len, strip, lower
        self.control_chars = control_chars  # True: the service normalizes them away
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_hint = pattern_hint

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise ValidationError(f"{path} must be a string.", field=path)
        if self.strip:
            value = value.strip()
        if self.lower:
            value = value.lower()
        if not self.control_chars and any(ord(c) < 32 and c not in "\n\t" for c in value):
            raise ValidationError(f"{path} must not contain control characters.", field=path)
        if len(value) < self.min_len:
            what = "is required" if self.min_len == 1 else f"must be at least {self.min_len} characters"
            raise ValidationError(f"{path} {what}.", field=path)
        if len(value) > self.max_len:
            raise ValidationError(f"{path} must be at most {self.max_len} characters.", field=path)
        if self.pattern and not self.pattern.fullmatch(value):
            raise ValidationError(f"{path} {self.pattern_hint or 'has an invalid format'}.", field=path)
        return value

    def json_schema(self) -> dict[str, Any]:
        schema = super().json_schema()
        schema["maxLength"] = self.max_len
        if self.min_len:
            schema["minLength"] = self.min_len
        schema["pattern"] = self.json_pattern()
        return schema

    def json_pattern(self) -> str:
        """What ``check`` accepts, as an anchored JSON Schema pattern: the field's own
        pattern, or its allowed characters (no control characters unless the service
        normalizes them; no surrounding whitespace where it is stripped, so a blank value
        is not a valid one)."""
        if self.doc_pattern:
            pattern = self.doc_pattern if isinstance(self.doc_pattern, str) else self.doc_pattern()
            return f"^(?:{pattern})$"
        if self.pattern:
            return f"^(?:{self.pattern.pattern})$"
        allowed = self.excluded_chars()
        if not self.strip:
            return f"^[^{allowed}]*$"
        edge = f"^{allowed}{_WHITESPACE}"
        optional = "" if self.min_len else "?"
        return f"^(?:[{edge}](?:[^{allowed}]*[{edge}])?){optional}$"

    def excluded_chars(self) -> str:
        """The characters ``check`` refuses, as the inside of a negated character class."""
        return "" if self.control_chars else _C0_BUT_TAB_AND_NEWLINE


# Character classes of the generated patterns (JSON Schema regexes: ECMA-262, read alike by
# Python's re and Rust's regex). Str refuses the C0 controls but tab and newline.
_C0_BUT_TAB_AND_NEWLINE = r"\x00-\x08\x0b-\x1f"


def char_class(chars: list[int]) -> str:
    """Code points as the ranges of a character class: \\uXXXX escapes in the BMP, the
    characters themselves above it (an escape there differs between regex dialects)."""

    def one(code: int) -> str:
        return rf"\u{code:04x}" if code <= 0xFFFF else chr(code)

    ranges: list[str] = []
    start = previous = chars[0]
    for code in [*chars[1:], -1]:
        if code == previous + 1:
            previous = code
            continue
        ranges.append(one(start) if start == previous else f"{one(start)}-{one(previous)}")
        start = previous = code
    return "".join(ranges)


# What str.strip() removes: a stripped field's first and last characters are none of these.
_WHITESPACE = char_class([code for code in range(0x3001) if chr(code).isspace()])


# Characters that render as nothing (or as blank) and so let one name pose as another.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
_ZWJ = "\u200d"


class Text(Str):
    """Text people see as a name or a label (display, workspace and channel names,
    topics): NFC-normalized, and no control characters (C0, DEL, C1), no format
    characters (bidi overrides and isolates, zero-width spaces and joiners, BOM,
    tags), no line or paragraph separators, no blank letters (Hangul fillers, the
    Braille blank), so no one can pose as "admin" with invisible characters.
    A zero-width joiner inside an emoji sequence (e.g. a family emoji) is kept."""

    def __init__(self, *, multiline: bool = False, **kw: Any):
        super().__init__(**kw)
        self.multiline = multiline

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value)
            for index, char in enumerate(value):
                if not self._visible(value, index, char):
                    raise ValidationError(
                        f"{path} must not contain invisible or control characters (U+{ord(char):04X}).", field=path
                    )
        return super().check(value, path)

    def excluded_chars(self) -> str:
        # Every invisible character but tab and newline (allowed when multiline), and the
        # zero-width joiner (allowed only inside an emoji sequence: the document is stricter
        # there). Lone surrogates (Cs) are refused too, but a regex cannot name them.
        return _invisible_ranges() + ("" if self.multiline else r"\t\n")

    def _visible(self, value: str, index: int, char: str) -> bool:
        if char == "\n" or char == "\t":
            return self.multiline
        if char in _BLANK_LETTERS:
            return False
        category = unicodedata.category(char)
        if char == _ZWJ:
            return 0 < index < len(value) - 1 and _emoji_part(value[index - 1]) and _emoji_part(value[index + 1])
        return category not in ("Cc", "Cf", "Cs", "Zl", "Zp")


@functools.cache
def _invisible_ranges() -> str:
    """Text's refused characters but tab and newline, as class ranges (computed once)."""
    invisible = ("Cc", "Cf", "Zl", "Zp")
    return char_class(
        [
            code
            for code in range(0x110000)
            if (chr(code) in _BLANK_LETTERS or unicodedata.category(chr(code)) in invisible) and code not in (9, 10)
        ]
    )


def _emoji_part(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk") or char == "\ufe0f"


# Public https URLs a client may give where the service checks the rest (host rules, no
# credentials, no fragment; some stages also take loopback http).
HTTPS_URL = r"https://[a-z][a-z0-9-]{0,20}(?:\.[a-z][a-z0-9-]{0,20}){1,3}(?:/[A-Za-z0-9._~-]{1,20}){0,4}"


class Email(Str):
    # Deliberately simple (OWASP input validation: a syntactic check, then verify by mail).
    def __init__(self, **kw: Any):
        super().__init__(
            max_len=254,
            pattern=r"[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+",
            pattern_hint="must be an email address",
            lower=True,
            **kw,
        )

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "format": "email"}


class Url(Str):
    def __init__(self, **kw: Any):
        super().__init__(
            max_len=2048,
            pattern=r"https?://[^\s/$.?#\x00-\x1f][^\s\x00-\x1f]*",
            pattern_hint="must be an http(s) URL",
            **kw,
        )

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "format": "uri"}


class Id(Str):
    def __init__(self, **kw: Any):
        super().__init__(
            max_len=36,
            pattern=r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            pattern_hint="must be an id",
            lower=True,
            **kw,
        )


class Enum(Field):
    def __init__(self, values: tuple[str, ...], **kw: Any):
        super().__init__(**kw)
        self.values = values

    def check(self, value: Any, path: str) -> Any:
        if value not in self.values:
            raise ValidationError(f"{path} must be one of: {', '.join(self.values)}.", field=path)
        return value

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "enum": list(self.values)}


class Bool(Field):
    json_type = "boolean"

    def __init__(self, *, from_string: bool = False, **kw: Any):
        super().__init__(**kw)
        self.from_string = from_string

    def check(self, value: Any, path: str) -> Any:
        if self.from_string and isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise ValidationError(f"{path} must be true or false.", field=path)
        return value


class Int(Field):
    json_type = "integer"

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, from_string: bool = False, **kw: Any):
        super().__init__(**kw)
        self.minimum, self.maximum, self.from_string = minimum, maximum, from_string

    def check(self, value: Any, path: str) -> Any:
        if self.from_string and isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{path} must be an integer.", field=path)
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"{path} must be at least {self.minimum}.", field=path)
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(f"{path} must be at most {self.maximum}.", field=path)
        return value

    def json_schema(self) -> dict[str, Any]:
        schema = super().json_schema()
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


class List(Field):
    json_type = "array"

    def __init__(self, item: Field, *, min_items: int = 0, max_items: int = 100, unique: bool = False, **kw: Any):
        super().__init__(**kw)
        self.item, self.min_items, self.max_items, self.unique = item, min_items, max_items, unique

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise ValidationError(f"{path} must be a list.", field=path)
        if not self.min_items <= len(value) <= self.max_items:
            raise ValidationError(f"{path} must have {self.min_items} to {self.max_items} items.", field=path)
        cleaned = [self.item.clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if self.unique:
            cleaned = list(dict.fromkeys(cleaned))
        return cleaned

    def json_schema(self) -> dict[str, Any]:
        schema = {**super().json_schema(), "items": self.item.json_schema(), "maxItems": self.max_items}
        if self.min_items:
            schema["minItems"] = self.min_items
        return schema


class Obj(Field):
    json_type = "object"

    def __init__(self, fields: Mapping[str, Field], *, at_least_one: bool = False, **kw: Any):
        super().__init__(**kw)
        self.fields = dict(fields)
        self.at_least_one = at_least_one

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(f"{path or 'body'} must be a JSON object.", field=path or "body")
        prefix = f"{path}." if path else ""
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            raise ValidationError(f"Unknown field: {prefix}{unknown[0]}.", field=f"{prefix}{unknown[0]}")
        cleaned: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if name in value:
                cleaned[name] = spec.clean(value[name], f"{prefix}{name}")
            elif spec.required:
                raise ValidationError(f"{prefix}{name} is required.", field=f"{prefix}{name}")
            elif spec.default is not _MISSING:
                cleaned[name] = spec.default
        if self.at_least_one and not cleaned:
            raise ValidationError(
                f"{path or 'body'} must set at least one of: {', '.join(self.fields)}.", field=path or "body"
            )
        return cleaned

    def json_schema(self) -> dict[str, Any]:
        schema = super().json_schema()
        schema["properties"] = {name: spec.json_schema() for name, spec in self.fields.items()}
        required = [name for name, spec in self.fields.items() if spec.required]
        if required:
            schema["required"] = required
        if self.at_least_one:
            schema["minProperties"] = 1
        schema["additionalProperties"] = False
        return schema


def validate(schema: Obj, payload: Any) -> dict[str, Any]:
    return schema.clean(payload, "")
