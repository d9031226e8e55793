"""Reading the typed fields of one parsed JSON record, with errors that name the record.

Used by the journal's events (:mod:`archive.journal.events`) and the compliance log's records: each
accessor returns the field with its JSON type checked, or raises JournalError saying where the
record is (``journal seq 12``), which field, and what was wrong. :func:`parse_typed` is the one
parser both use: it picks the record's dataclass by the line's ``type``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeAlias, TypeVar

from archive.errors import JournalError
from archive.journal.format import JournalLine

RecordT = TypeVar("RecordT")

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"


class FieldReader:
    """Typed access to the fields of one record; ``where`` names the record in error messages."""

    __slots__ = ("_fields", "_where")

    def __init__(self, fields: Mapping[str, object], where: str) -> None:
        self._fields = fields
        self._where = where

    def fail(self, problem: str) -> JournalError:
        """A JournalError saying ``problem`` about this record."""
        return JournalError(f"{self._where}: {problem}")

    def has(self, name: str) -> bool:
        """True when the record carries ``name`` (even as null)."""
        return name in self._fields

    def _get(self, name: str) -> object:
        if name not in self._fields:
            raise self.fail(f"missing field '{name}'")
        return self._fields[name]

    def _wrong(self, name: str, kind: str, value: object) -> JournalError:
        return self.fail(f"'{name}' must be {kind} (got {value!r})")

    def string(self, name: str) -> str:
        """A required string field."""
        value = self._get(name)
        if not isinstance(value, str):
            raise self._wrong(name, "a string", value)
        return value

    def opt_string(self, name: str) -> str | None:
        """A string field that may be null or absent (both read as None)."""
        return None if self._fields.get(name) is None else self.string(name)

    def integer(self, name: str) -> int:
        """A required integer field (a JSON boolean is not an integer)."""
        value = self._get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong(name, "an integer", value)
        return value

    def opt_integer(self, name: str) -> int | None:
        """An integer field that may be null or absent."""
        return None if self._fields.get(name) is None else self.integer(name)

    def number(self, name: str) -> float:
        """A required number; an integer stays an integer so that it encodes back to the same bytes."""
        value = self._get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self._wrong(name, "a number", value)
        return value

    def opt_number(self, name: str) -> float | None:
        """A number field that may be null or absent."""
        return None if self._fields.get(name) is None else self.number(name)

    def boolean(self, name: str) -> bool:
        """A required boolean field."""
        value = self._get(name)
        if not isinstance(value, bool):
            raise self._wrong(name, "a boolean", value)
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        """A required list of strings."""
        value = self._get(name)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._wrong(name, "a list of strings", value)
        return tuple(value)

    def opt_strings(self, name: str) -> tuple[str, ...] | None:
        """A list of strings that may be null or absent."""
        return None if self._fields.get(name) is None else self.strings(name)

    def opt_object(self, name: str) -> FieldReader | None:
        """A nested JSON object that may be null or absent, as a reader of its own fields."""
        value = self._fields.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(name, "an object", value)
        return FieldReader(value, f"{self._where}: '{name}'")

    def objects(self, name: str) -> list[FieldReader]:
        """A required list of JSON objects, each as a reader of its own fields."""
        value = self._get(name)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self._wrong(name, "a list of objects", value)
        return [FieldReader(item, f"{self._where}: '{name}'[{i}]") for i, item in enumerate(value)]

    def json(self, name: str) -> JsonValue:
        """A required field of any JSON type, as parsed."""
        return _as_json(self._get(name))


def _as_json(value: object) -> JsonValue:
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _as_json(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise JournalError(f"not a JSON value: {value!r}")


def parse_typed(
    line: JournalLine, parsers: Mapping[str, Callable[[FieldReader], RecordT]], *, log: str, kind: str
) -> RecordT:
    """The typed record ``line`` holds, built by the parser ``parsers`` has for its ``type``.

    Raises JournalError naming the line as ``{log} seq N`` for an unknown ``type`` (``unknown {kind}
    type``), a missing field, a field of the wrong JSON type or an invalid value. Fields the record
    does not know are ignored.
    """
    where = f"{log} seq {line.seq}"
    parser = parsers.get(line.type)
    if parser is None:
        raise JournalError(f"{where}: unknown {kind} type {line.type!r}")
    try:
        return parser(FieldReader(line.fields, f"{where} ({line.type})"))
    except ValueError as exc:
        raise JournalError(f"{where} ({line.type}): {exc}") from exc


def without_none(fields: JsonObject, *names: str) -> JsonObject:
    """``fields`` without the keys in ``names`` whose value is None (optional fields are omitted)."""
    return {key: value for key, value in fields.items() if not (key in names and value is None)}
