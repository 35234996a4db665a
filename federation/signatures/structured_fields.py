"""The subset of RFC 8941 Structured Field Values that message signatures use.

Signature-Input, Signature and Content-Digest are Dictionaries whose members are
Inner Lists or Items with Parameters. Parsing follows RFC 8941 section 4.2 step by
step, because a lax parser would let two peers disagree about which bytes were signed.
RFC 9651's Date and Display String types are not needed here and are rejected.
"""

from __future__ import annotations

import base64
import binascii
import string
from dataclasses import dataclass, field
from decimal import Decimal


class StructuredFieldError(ValueError):
    """The text is not a valid structured field of the expected type."""


@dataclass(frozen=True, slots=True)
class Token:
    """An sf-token: kept apart from str because it serialises without quotes."""

    value: str


BareItem = bool | int | Decimal | str | Token | bytes
Parameters = dict[str, BareItem]


@dataclass(frozen=True, slots=True)
class Item:
    value: BareItem
    params: Parameters = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InnerList:
    items: tuple[Item, ...]
    params: Parameters = field(default_factory=dict)


Member = Item | InnerList

_KEY_FIRST = frozenset(string.ascii_lowercase + "*")
_KEY_REST = frozenset(string.ascii_lowercase + string.digits + "_-.*")
_TOKEN_FIRST = frozenset(string.ascii_letters + "*")
_TCHAR = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_TOKEN_REST = _TCHAR | frozenset(":/")
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/=")


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse an sf-dictionary; later duplicate keys win, as RFC 8941 says."""
    parser = _Parser(text)
    members: dict[str, Member] = {}
    while not parser.done():
        key = parser.key()
        if parser.peek() == "=":
            parser.pos += 1
            members[key] = parser.item_or_inner_list()
        else:
            members[key] = Item(True, parser.parameters())
        parser.skip_ows()
        if parser.done():
            break
        parser.expect(",")
        parser.skip_ows()
        if parser.done():
            raise StructuredFieldError("trailing comma in dictionary")
    return members


def serialize_dictionary(members: dict[str, Member]) -> str:
    parts = []
    for key, member in members.items():
        _check_key(key)
        if isinstance(member, Item) and member.value is True:
            parts.append(key + serialize_parameters(member.params))
        else:
            parts.append(f"{key}={serialize_member(member)}")
    return ", ".join(parts)


def serialize_member(member: Member) -> str:
    if isinstance(member, InnerList):
        return serialize_inner_list(member)
    return serialize_item(member)


def serialize_inner_list(inner: InnerList) -> str:
    body = " ".join(serialize_item(item) for item in inner.items)
    return f"({body}){serialize_parameters(inner.params)}"


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_parameters(item.params)


def serialize_parameters(params: Parameters) -> str:
    out = []
    for key, value in params.items():
        _check_key(key)
        out.append(f";{key}" if value is True else f";{key}={serialize_bare_item(value)}")
    return "".join(out)


def serialize_bare_item(value: BareItem) -> str:
    # bool first: it is a subclass of int.
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > 999_999_999_999_999:
            raise StructuredFieldError("integer out of range")
        return str(value)
    if isinstance(value, Decimal):
        return _serialize_decimal(value)
    if isinstance(value, str):
        if any(not (0x20 <= ord(ch) <= 0x7E) for ch in value):
            raise StructuredFieldError("string has a character outside printable ASCII")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Token):
        if not value.value or value.value[0] not in _TOKEN_FIRST:
            raise StructuredFieldError("invalid token")
        if any(ch not in _TOKEN_REST for ch in value.value[1:]):
            raise StructuredFieldError("invalid token")
        return value.value
    return ":" + base64.b64encode(value).decode("ascii") + ":"


def _serialize_decimal(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.001"))
    if abs(rounded) >= Decimal(10**12):
        raise StructuredFieldError("decimal out of range")
    text = f"{rounded:f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _check_key(key: str) -> None:
    if not key or key[0] not in _KEY_FIRST or any(ch not in _KEY_REST for ch in key[1:]):
        raise StructuredFieldError(f"invalid key {key!r}")


class _Parser:
    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise StructuredFieldError("structured fields are ASCII only")
        # RFC 8941 4.2: leading and trailing spaces are discarded, nothing else is.
        self.text = text.strip(" ")
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise StructuredFieldError(f"expected {char!r} at position {self.pos}")
        self.pos += 1

    def skip_sp(self) -> None:
        while self.peek() == " ":
            self.pos += 1

    def skip_ows(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def key(self) -> str:
        start = self.pos
        # peek() is "" at the end, which is in none of the character sets.
        if self.peek() not in _KEY_FIRST:
            raise StructuredFieldError(f"expected a key at position {self.pos}")
        self.pos += 1
        while self.peek() in _KEY_REST:
            self.pos += 1
        return self.text[start : self.pos]

    def item_or_inner_list(self) -> Member:
        if self.peek() == "(":
            return self.inner_list()
        return self.item()

    def inner_list(self) -> InnerList:
        self.expect("(")
        items: list[Item] = []
        while not self.done():
            self.skip_sp()
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.parameters())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise StructuredFieldError(f"bad inner list at position {self.pos}")
        raise StructuredFieldError("unterminated inner list")

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.parameters())

    def parameters(self) -> Parameters:
        params: Parameters = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip_sp()
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return params

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == "-" or char.isdigit():
            return self.number()
        if char == '"':
            return self.string()
        if char in _TOKEN_FIRST:
            return self.token()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        raise StructuredFieldError(f"unexpected {char!r} at position {self.pos}")

    def number(self) -> int | Decimal:
        start = self.pos
        negative = self.peek() == "-"
        if negative:
            self.pos += 1
        if not self.peek().isdigit():
            raise StructuredFieldError("a number needs a digit")
        digits_start = self.pos
        dot = -1
        while not self.done():
            char = self.peek()
            if char.isdigit():
                self.pos += 1
            elif char == "." and dot < 0:
                if self.pos - digits_start > 12:
                    raise StructuredFieldError("decimal integer part too long")
                dot = self.pos
                self.pos += 1
            else:
                break
            if dot < 0 and self.pos - digits_start > 15:
                raise StructuredFieldError("integer too long")
            if dot >= 0 and self.pos - digits_start > 16:
                raise StructuredFieldError("decimal too long")
        text = self.text[start : self.pos]
        if dot < 0:
            return int(text)
        fraction = self.pos - dot - 1
        if not 1 <= fraction <= 3:
            raise StructuredFieldError("a decimal needs one to three fractional digits")
        return Decimal(text)

    def string(self) -> str:
        self.expect('"')
        out: list[str] = []
        while not self.done():
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise StructuredFieldError("bad escape in string")
                out.append(escaped)
                self.pos += 1
            elif char == '"':
                return "".join(out)
            elif not 0x20 <= ord(char) <= 0x7E:
                raise StructuredFieldError("control character in string")
            else:
                out.append(char)
        raise StructuredFieldError("unterminated string")

    def token(self) -> Token:
        start = self.pos
        self.pos += 1
        while self.peek() in _TOKEN_REST:
            self.pos += 1
        return Token(self.text[start : self.pos])

    def byte_sequence(self) -> bytes:
        self.expect(":")
        end = self.text.find(":", self.pos)
        if end < 0:
            raise StructuredFieldError("unterminated byte sequence")
        encoded = self.text[self.pos : end]
        self.pos = end + 1
        if any(ch not in _BASE64 for ch in encoded):
            raise StructuredFieldError("byte sequence is not base64")
        # RFC 8941 4.2.7: parsers SHOULD NOT fail when "=" padding is missing.
        padded = encoded.rstrip("=")
        padded += "=" * (-len(padded) % 4)
        try:
            return base64.b64decode(padded, validate=True)
        except binascii.Error as exc:
            raise StructuredFieldError("byte sequence is not base64") from exc

    def boolean(self) -> bool:
        self.expect("?")
        char = self.peek()
        if char not in ("0", "1"):
            raise StructuredFieldError("a boolean is ?0 or ?1")
        self.pos += 1
        return char == "1"
