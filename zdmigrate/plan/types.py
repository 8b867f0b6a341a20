"""Column types read from a model's type text, and what a change of type means to an app.

Schema models keep a column's type as the dialect's SQL text: ``VARCHAR(20)``, ``NUMERIC(12,2)``,
``TIMESTAMP WITH TIME ZONE``, ``ENUM('a','b')`` inline on MySQL, an enum type's name on
PostgreSQL. :func:`parse_type` reads that text into a :class:`SqlType` (a family and its sizes);
:func:`type_changes` says what happens when an app built for one type meets a column of another:

- ``WRITES_BREAK``: some value the app's type can hold is refused or changed on the way in;
- ``READS_BREAK``: reads come back as another kind of Python value (strings for numbers);
- ``READS_DIFFER``: reads may carry what the app's type does not describe (more decimal
  places, enum labels it does not list, time zones), or zdmigrate cannot tell.

A wider type on the state's side is fine for writes; a wider integer is fine for reads too, as
Python's int has no size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import EnumType


class Family(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    STRING = "string"
    BINARY = "binary"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    INTERVAL = "interval"
    YEAR = "year"
    JSON = "json"
    UUID = "uuid"
    ENUM = "enum"
    SET = "set"
    ARRAY = "array"
    OTHER = "other"


NUMBERS = (Family.INTEGER, Family.DECIMAL, Family.FLOAT)
TEXTS = (Family.STRING, Family.ENUM, Family.SET)


@dataclass(frozen=True)
class SqlType:
    text: str
    family: Family
    length: int | None = None
    """Characters (strings) or bytes (binary) a value may have; None for no limit."""
    precision: int | None = None
    """Decimal: digits in all; float: significant decimal digits; date/time: digits of the
    fraction of a second. None for no limit (PostgreSQL's bare NUMERIC)."""
    scale: int | None = None
    low: int | None = None
    high: int | None = None
    """The range of an integer type."""
    unsigned: bool = False
    timezone: bool = False
    since_1970: bool = False
    """MySQL's TIMESTAMP: only 1970-01-01 to 2038-01-19."""
    values: tuple[str, ...] = ()
    """The labels of an enum or set."""
    element: SqlType | None = None

    @property
    def integer_digits(self) -> int | None:
        """Digits before the point a value of this type may have; None for no limit."""
        if self.family is Family.INTEGER and self.high is not None and self.low is not None:
            return len(str(max(self.high, -self.low)))
        if self.family is Family.DECIMAL and self.precision is not None:
            return self.precision - (self.scale or 0)
        return None

    @property
    def safe_digits(self) -> int | None:
        """Digits before the point that every value with that many digits can hold."""
        if self.family is Family.INTEGER and self.high is not None and self.low is not None:
            return len(str(min(self.high, -self.low))) - 1
        if self.family is Family.FLOAT:
            return self.precision
        return self.integer_digits


@dataclass(frozen=True)
class TypeRules:
    """What the same type name means on one kind of server."""

    real_is_single: bool
    """PostgreSQL's REAL is a 4-byte float; MySQL's is a synonym of DOUBLE."""
    bool_is_tinyint: bool
    """MySQL's BOOL is TINYINT(1): any small integer goes in and comes out."""
    text_bytes: bool
    """MySQL's TEXT types hold a number of bytes, not characters."""
    bare_decimal: tuple[int, int] | None
    """Precision and scale of a DECIMAL written without them; None: no limit (PostgreSQL)."""
    fraction_digits: int
    """Digits of a second that DATETIME / TIMESTAMP / TIME keep when none are given."""
    timestamp_since_1970: bool


_MYSQL_RULES = TypeRules(False, True, True, (10, 0), 0, True)
TYPE_RULES = {
    "postgresql": TypeRules(True, False, False, None, 6, False),
    "mysql": _MYSQL_RULES,
    "mariadb": _MYSQL_RULES,
}

_INTEGER_BYTES = {
    **{"TINYINT": 1, "SMALLINT": 2, "INT2": 2, "SMALLSERIAL": 2, "MEDIUMINT": 3},
    **{"INTEGER": 4, "INT": 4, "INT4": 4, "SERIAL": 4, "BIGINT": 8, "INT8": 8, "BIGSERIAL": 8},
}
_FLOATS = {"REAL", "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION"}
_STRINGS = {"VARCHAR", "CHARACTER VARYING", "NVARCHAR", "NATIONAL VARCHAR", "CHAR", "CHARACTER"}
_STRINGS |= {"NCHAR", "NATIONAL CHAR", "BPCHAR", "TEXT", "CITEXT", "TINYTEXT", "MEDIUMTEXT"}
_STRINGS |= {"LONGTEXT", "NAME"}
_BINARIES = {"BYTEA", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BINARY", "VARBINARY"}
_FIXED_WIDTH = {"CHAR", "CHARACTER", "NCHAR", "NATIONAL CHAR", "BINARY"}
_MYSQL_LOBS = {"TINY": 255, "": 65_535, "MEDIUM": 16_777_215, "LONG": 4_294_967_295}
"""Bytes a MySQL TINYTEXT / TEXT / MEDIUMTEXT / LONGTEXT (and …BLOB) holds."""
_UTF8MB4 = 4
"""Bytes per character assumed for MySQL's TEXT types: utf8mb4's worst case."""
_NAMES = {
    **dict.fromkeys(("NUMERIC", "DECIMAL", "DEC", "FIXED"), Family.DECIMAL),
    **dict.fromkeys(("DATE",), Family.DATE),
    **dict.fromkeys(("TIMESTAMP", "DATETIME", "TIMESTAMPTZ"), Family.DATETIME),
    **dict.fromkeys(("TIME", "TIMETZ"), Family.TIME),
    **dict.fromkeys(("INTERVAL",), Family.INTERVAL),
    **dict.fromkeys(("YEAR",), Family.YEAR),
    **dict.fromkeys(("JSON", "JSONB"), Family.JSON),
    **dict.fromkeys(("UUID",), Family.UUID),
    **dict.fromkeys(("BOOL", "BOOLEAN"), Family.BOOLEAN),
}
_MODIFIERS = re.compile(
    r"\b(?:UNSIGNED|SIGNED|ZEROFILL|WITH(?:OUT)? TIME ZONE|(?:CHARACTER SET|CHARSET|COLLATE)\s+\S+)"
)
_LABEL = re.compile(r"'((?:[^'\\]|''|\\.)*)'", re.DOTALL)


def parse_type(text: str, dialect: Dialect, enums: Mapping[str, EnumType] | None = None) -> SqlType:
    """Read a type as the models spell it on ``dialect`` (and as users may write it: ``int(11)``,
    ``character varying(20)``, ``NUMERIC(12, 2)``). ``enums``: the schema's enum types, by
    qualified name, to read a PostgreSQL enum type's labels."""
    text = dialect.normalize_type(text)
    array = re.search(r"(\s*\[\d*\])+$", text)
    if array:
        element = parse_type(text[: array.start()], dialect, enums)
        return SqlType(text, Family.ARRAY, element=element)
    enum = (enums or {}).get(text.replace('"', ""))
    if enum is not None:
        return SqlType(text, Family.ENUM, values=tuple(enum.values))
    labelled = re.fullmatch(r"(ENUM|SET)\s*\((.*)\)[^)]*", text, re.IGNORECASE | re.DOTALL)
    if labelled:
        family = Family.ENUM if labelled[1].upper() == "ENUM" else Family.SET
        return SqlType(text, family, values=tuple(_labels(labelled[2])))
    head, _, rest = text.partition("(")
    arguments, _, tail = rest.partition(")")
    spelled = f"{head} {tail}".upper()
    words = _MODIFIERS.sub("", spelled).split()
    if len(words) > 1 and words[-1] == "BINARY":  # MySQL's CHAR(3) BINARY: a collation
        words.pop()
    name = " ".join(words)
    return _typed(
        text,
        name,
        [int(n) for n in re.findall(r"\d+", arguments)],
        unsigned="UNSIGNED" in spelled.split(),
        timezone="WITH TIME ZONE" in spelled or name in ("TIMESTAMPTZ", "TIMETZ"),
        rules=TYPE_RULES[dialect.name],
    )


def _typed(
    text: str, name: str, numbers: list[int], *, unsigned: bool, timezone: bool, rules: TypeRules
) -> SqlType:
    first = numbers[0] if numbers else None
    if name in _INTEGER_BYTES or (name in ("BOOL", "BOOLEAN") and rules.bool_is_tinyint):
        bits = 8 * _INTEGER_BYTES.get(name, 1)
        low, high = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return SqlType(text, Family.INTEGER, low=low, high=high, unsigned=unsigned)
    if name in _FLOATS:
        single = name == "FLOAT4" or (name == "REAL" and rules.real_is_single)
        # PostgreSQL's FLOAT(p) is normalised to REAL or DOUBLE PRECISION before this.
        single = single or (name == "FLOAT" and (first or 0) <= 24)
        return SqlType(text, Family.FLOAT, precision=6 if single else 15, unsigned=unsigned)
    if name in _STRINGS or name in _BINARIES:
        family = Family.STRING if name in _STRINGS else Family.BINARY
        return SqlType(text, family, length=_capacity(name, first, rules))
    family = _NAMES.get(name, Family.OTHER)
    if family is Family.DECIMAL:
        precision, scale = [*numbers, 0][:2] if numbers else rules.bare_decimal or (None, None)
        return SqlType(text, family, precision=precision, scale=scale, unsigned=unsigned)
    if family in (Family.DATETIME, Family.TIME):
        return SqlType(
            text,
            family,
            precision=rules.fraction_digits if first is None else first,
            timezone=timezone,
            since_1970=name == "TIMESTAMP" and rules.timestamp_since_1970,
        )
    return SqlType(text, family)


def _capacity(name: str, length: int | None, rules: TypeRules) -> int | None:
    """Characters (bytes for binary types) a string or binary type holds; None: no limit."""
    if name in _FIXED_WIDTH:
        return length or 1
    if rules.text_bytes and name != "CITEXT" and name.endswith(("TEXT", "BLOB")):
        size = _MYSQL_LOBS[name.removesuffix("TEXT").removesuffix("BLOB")]
        return size if name.endswith("BLOB") else size // _UTF8MB4
    return length


def _labels(arguments: str) -> list[str]:
    def unescape(label: str) -> str:
        return re.sub(r"\\(.)", r"\1", label.replace("''", "'"))

    return [unescape(m[1]) for m in _LABEL.finditer(arguments)]


# --- what a change of type means ------------------------------------------------------------


class Effect(StrEnum):
    WRITES_BREAK = "writes break"
    READS_BREAK = "reads break"
    READS_DIFFER = "reads differ"


@dataclass(frozen=True)
class TypeChange:
    effect: Effect
    reason: str
    """Why, in words that follow "the app's TYPE on a column of TYPE: "."""


def type_changes(app: SqlType, state: SqlType) -> list[TypeChange]:
    """What goes wrong when an app that maps ``app`` reads and writes a column of ``state``."""
    if app.family is state.family:
        return _same_family(app, state)
    if state.family is Family.STRING:
        return _into_text(app, state)
    if app.family in NUMBERS and state.family in NUMBERS:
        return _number_change(app, state)
    if app.family is Family.DATE and state.family is Family.DATETIME:
        return [_reads_differ("reads return datetimes, not dates")]
    if app.family is Family.DATETIME and state.family is Family.DATE:
        return [_writes("the time of day is dropped")]
    if app.family is Family.STRING:
        return [_writes(f"strings that are not a valid {state.text} are refused")]
    if Family.OTHER in (app.family, state.family):
        return [_cannot_tell()]
    return [_writes(f"it does not take the app's {app.family} values")]


def _same_family(app: SqlType, state: SqlType) -> list[TypeChange]:
    family = app.family
    if family in NUMBERS:
        return _number_change(app, state)
    if family in (Family.STRING, Family.BINARY):
        return _length_change(app.length, state.length, family)
    if family in (Family.DATETIME, Family.TIME):
        return _time_change(app, state)
    if family in (Family.ENUM, Family.SET):
        return _label_change(app.values, state.values)
    if family is Family.ARRAY and app.element and state.element:
        changes = type_changes(app.element, state.element)
        return [TypeChange(c.effect, f"array elements: {c.reason}") for c in changes]
    if family is Family.OTHER and app.text != state.text:
        return [_cannot_tell()]
    return []


def _number_change(app: SqlType, state: SqlType) -> list[TypeChange]:
    """Integers, decimals and floats, in any pairing."""
    changes = []
    if app.family is Family.INTEGER and state.family is Family.INTEGER:
        assert app.low is not None and app.high is not None
        assert state.low is not None and state.high is not None
        if state.low > app.low or state.high < app.high:
            changes.append(_writes(f"values outside {state.low}..{state.high} are refused"))
        return changes
    if state.family is Family.FLOAT:
        needed = app.precision if app.family is not Family.INTEGER else app.integer_digits
        if needed is None or needed > (state.precision or 0):
            changes.append(_writes(f"values are rounded to {state.precision} significant digits"))
    else:
        digits, room = app.integer_digits, state.safe_digits
        if room is not None and (digits is None or digits > room):
            changes.append(_writes("values too large for it are refused"))
        app_scale, state_scale = _scale(app), _scale(state)
        if state_scale is not None and (app_scale is None or app_scale > state_scale):
            places = "whole numbers" if state_scale == 0 else f"{state_scale} decimal places"
            changes.append(_writes(f"values are rounded to {places}"))
        if (
            app.family is Family.DECIMAL
            and app_scale is not None
            and (state_scale is None or state_scale > app_scale)
        ):
            places = "any number of" if state_scale is None else f"up to {state_scale}"
            changes.append(
                _reads_differ(
                    f"reads may carry {places} decimal places where the app's type has {app_scale}"
                )
            )
    if state.unsigned and not app.unsigned:
        changes.append(_writes("negative values are refused"))
    if app.family is Family.INTEGER and state.family is not Family.INTEGER:
        kind = "Decimal" if state.family is Family.DECIMAL else "float"
        changes.append(_reads_differ(f"reads return {kind} values, not int"))
    return changes


def _scale(number: SqlType) -> int | None:
    """Decimal places a number type keeps; None for as many as a value has (floats too)."""
    if number.family is Family.INTEGER:
        return 0
    if number.family is Family.DECIMAL and number.precision is not None:
        return number.scale or 0
    return None


def _length_change(app: int | None, state: int | None, family: Family) -> list[TypeChange]:
    if state is not None and (app is None or app > state):
        unit = "bytes" if family is Family.BINARY else "characters"
        return [_writes(f"values longer than {state} {unit} are refused or cut")]
    return []


def _time_change(app: SqlType, state: SqlType) -> list[TypeChange]:
    changes = []
    if app.timezone and not state.timezone:
        changes.append(_writes("the time zone offset of values is dropped"))
    if state.timezone and not app.timezone:
        changes.append(
            _reads_differ(
                "reads return times with a time zone, and times written without one are "
                "taken in the session's time zone"
            )
        )
    if (state.precision or 0) < (app.precision or 0):
        changes.append(_writes(f"fractions of a second are rounded to {state.precision} digits"))
    if state.since_1970 and not app.since_1970:
        changes.append(_writes("values before 1970 or after 2038-01-19 are refused"))
    return changes


def _label_change(app: tuple[str, ...], state: tuple[str, ...]) -> list[TypeChange]:
    changes = []
    missing = [label for label in app if label not in state]
    extra = [label for label in state if label not in app]
    if missing:
        changes.append(_writes(f"it lacks {_quoted(missing)}, which the app may write"))
    if extra:
        changes.append(
            _reads_differ(
                f"rows holding {_quoted(extra)} (which the other app may write) fail to load: "
                "the app's Enum does not list them"
            )
        )
    return changes


def _into_text(app: SqlType, state: SqlType) -> list[TypeChange]:
    """An app type that is not a string, on a column that is."""
    if app.family is Family.BINARY:
        return [_writes("bytes that are not valid text in the column's encoding are refused")]
    if app.family in (Family.ENUM, Family.SET):
        longest = max((len(label) for label in app.values), default=0)
        return [
            *_length_change(longest, state.length, Family.STRING),
            _reads_differ("rows holding a value the app's Enum does not list fail to load"),
        ]
    width = _text_width(app)
    what = app.text if app.family is Family.OTHER else app.family
    changes = _length_change(width, state.length, Family.STRING) if width is not None else []
    return [*changes, TypeChange(Effect.READS_BREAK, f"reads return strings, not {what} values")]


def _text_width(value: SqlType) -> int | None:
    """Characters the text form of a value of this type may need; None: any number."""
    if value.family is Family.INTEGER and value.integer_digits is not None:
        return value.integer_digits + 1
    if value.family is Family.DECIMAL and value.precision is not None:
        return value.precision + 2
    fixed = {Family.DATE: 10, Family.UUID: 36, Family.BOOLEAN: 5, Family.YEAR: 4}
    if value.family in fixed:
        return fixed[value.family]
    if value.family in (Family.DATETIME, Family.TIME):
        clock = 19 if value.family is Family.DATETIME else 8
        return clock + (value.precision or 0) + 1 + (6 if value.timezone else 0)
    return None


def _writes(reason: str) -> TypeChange:
    return TypeChange(Effect.WRITES_BREAK, reason)


def _reads_differ(reason: str) -> TypeChange:
    return TypeChange(Effect.READS_DIFFER, reason)


def _cannot_tell() -> TypeChange:
    return _reads_differ("zdmigrate cannot tell whether the two types agree")


def _quoted(labels: list[str]) -> str:
    return ", ".join(repr(label) for label in labels)
