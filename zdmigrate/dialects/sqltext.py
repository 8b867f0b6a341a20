"""One spelling for SQL expressions that the server prints back differently from how they were
written: check constraints, partial-index predicates, index expressions, generated columns and
server defaults.

The server keeps these as parsed trees and prints them its own way (PostgreSQL adds casts and
parentheses, ``(kind)::text = 'active'::text``; MariaDB quotes every identifier and lowercases
keywords, ``\\`n\\` >= 0 and \\`big\\` > \\`n\\```). The model from SQLAlchemy metadata has the text
the user wrote. Both sides go through :func:`normalize` so that they compare equal, and the result
is still SQL the same server accepts: only casts the server itself would add back are dropped.

This is a tokenizer, not a parser. Redundant parentheses around compound sub-expressions
(``(a > 0) AND (b > 0)``) are kept, which is why PostgreSQL expressions are read with the
catalog's "pretty" printing, which leaves them out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

KEYWORDS = frozenset(
    {
        *("AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "IN", "LIKE", "ILIKE", "SIMILAR"),
        *("ESCAPE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "ANY", "ALL", "SOME"),
        *("ARRAY", "EXISTS", "DISTINCT", "FROM", "AS", "COLLATE", "INTERVAL", "CAST", "DIV"),
        *("MOD", "XOR", "REGEXP", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"),
        *("LOCALTIMESTAMP", "LOCALTIME", "CURRENT_USER"),
    }
)

# Casts to these types are what PostgreSQL adds around literals on its own; dropping them
# leaves a literal whose type the server infers again from the other operand.
NUMERIC_CAST_TYPES = frozenset(
    {
        *("integer", "int", "int2", "int4", "int8", "smallint", "bigint", "numeric", "decimal"),
        *("real", "double precision"),
    }
)
TEXT_CAST_TYPES = frozenset({"text", "character varying", "varchar"})
OTHER_PLAIN_CAST_TYPES = frozenset(
    {"char", "character", "bpchar", "bool", "boolean", "json", "jsonb"}
)
PLAIN_CAST_TYPES = NUMERIC_CAST_TYPES | TEXT_CAST_TYPES | OTHER_PLAIN_CAST_TYPES
TYPE_NAME_WORDS = frozenset({"varying", "precision", "with", "without", "time", "zone"})
"""Words that continue a type name after its first word (character varying)."""
CALLABLE_KEYWORDS = frozenset(
    {"CAST", "CURRENT_TIMESTAMP", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME"}
)
"""Keywords written like functions, with no space before their parenthesis."""
CHARSET_INTRODUCER = re.compile(r"_(utf8mb[34]|utf8|latin1|binary|ascii)")


@dataclass(frozen=True)
class Token:
    kind: str
    """str, ident, num, word, kw (a keyword), op, sign (a unary + or -), punct or other."""
    text: str


@cache
def _pattern(identifier_quote: str, backslash_escapes: bool) -> re.Pattern[str]:
    single = r"'(?:[^'\\]|''|\\.)*'" if backslash_escapes else r"'(?:[^']|'')*'"
    double = r'"(?:[^"\\]|""|\\.)*"' if backslash_escapes else r'"(?:[^"]|"")*"'
    q = re.escape(identifier_quote)
    ident = rf"{q}(?:[^{q}]|{q}{q})*{q}"
    # Where the identifier quote is a backtick (MySQL), a double-quoted text is a string.
    string = single if identifier_quote == '"' else f"{single}|{double}"
    return re.compile(
        rf"""(?P<space>\s+)
        |(?P<str>{string})
        |(?P<ident>{ident})
        |(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)
        |(?P<word>[A-Za-z_][\w$]*)
        |(?P<op>::|<=>|<=|>=|<>|!=|\|\||[-+*/%<>=~!^&|])
        |(?P<punct>[(),\[\].])
        |(?P<other>.)""",
        re.VERBOSE | re.DOTALL,
    )


class Normalizer:
    """The rules of one dialect: how it quotes identifiers and strings."""

    def __init__(
        self,
        identifier_quote: str,
        backslash_escapes: bool,
        quote_if_needed: Callable[[str], str],
    ) -> None:
        self.identifier_quote = identifier_quote
        self.backslash_escapes = backslash_escapes
        self.quote_if_needed = quote_if_needed

    def tokens(self, text: str) -> list[Token]:
        tokens: list[Token] = []
        for match in _pattern(self.identifier_quote, self.backslash_escapes).finditer(text):
            kind, value = match.lastgroup or "other", match.group()
            if kind == "space":
                continue
            if kind == "ident":
                kind, value = "ident", self.quote_if_needed(_unquote(value))
            elif kind == "str" and value.startswith('"'):
                value = "'" + _unquote(value).replace("'", "''") + "'"
            elif kind == "word":
                upper = value.upper()
                kind, value = ("kw", upper) if upper in KEYWORDS else ("word", value.lower())
            elif kind == "op" and value in "+-" and _operand_expected(tokens):
                kind = "sign"
            if kind == "str" and tokens and CHARSET_INTRODUCER.fullmatch(tokens[-1].text):
                tokens.pop()  # MySQL 8 prints _utf8mb4'x' for the 'x' it was given
            tokens.append(Token(kind, value))
        return tokens

    def columns(self, text: str, candidates: Iterable[str]) -> list[str]:
        """The candidate column names ``text`` mentions, in order of first mention."""
        names = set(candidates)
        found: list[str] = []
        for token in self.tokens(text):
            name = _unquote(token.text) if token.kind == "ident" else token.text
            if token.kind in ("ident", "word") and name in names and name not in found:
                found.append(name)
        return found

    def normalize(self, text: str, column_types: Mapping[str, str] | None = None) -> str:
        """The canonical spelling of ``text``. ``column_types`` (column name → model type) lets
        implicit casts of text columns and of literals to a column's own type be dropped."""
        types = dict(column_types or {})
        tokens = self.tokens(text)
        while True:
            before = len(tokens)
            tokens = _drop_single_parentheses(tokens)
            tokens = _drop_casts(tokens, types)
            tokens = _drop_outer_parentheses(tokens)
            if len(tokens) == before:
                return render(tokens)


def _unquote(name: str) -> str:
    """A quoted name or string without its quotes; a bare name as it is."""
    q = name[:1]
    if q in ("'", '"', "`") and len(name) >= 2 and name[-1] == q:
        return name[1:-1].replace(q + q, q)
    return name


def _operand_expected(tokens: list[Token]) -> bool:
    """A + or - here is a sign, not a binary operator."""
    if not tokens:
        return True
    last = tokens[-1]
    return last.kind in ("op", "sign", "kw") or last.text in ("(", ",", "[")


def _simple(token: Token) -> bool:
    return token.kind in ("str", "num", "ident", "word") or token.text == "NULL"


OPERAND_BEFORE = frozenset({"(", ",", "AND", "OR", "NOT"})
"""After these a parenthesis opens an operand, not a function's arguments or an IN list."""


def _drop_single_parentheses(tokens: list[Token]) -> list[Token]:
    """``(0)`` → ``0`` and ``(kind)`` → ``kind``, except for a function's or IN list's argument."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if (
            i + 2 < len(tokens)
            and tokens[i].text == "("
            and _simple(tokens[i + 1])
            and tokens[i + 2].text == ")"
            and (not out or out[-1].kind in ("op", "sign") or out[-1].text in OPERAND_BEFORE)
        ):
            out.append(tokens[i + 1])
            i += 3
            continue
        out.append(tokens[i])
        i += 1
    return out


def _cast_type(tokens: list[Token], start: int) -> tuple[str, int]:
    """The type name a ``::`` cast names from ``start`` on, and the index past it."""
    words: list[str] = []
    i = start
    while i < len(tokens) and tokens[i].kind in ("word", "ident", "kw"):
        if words and tokens[i].text.lower() not in TYPE_NAME_WORDS:
            break
        words.append(tokens[i].text.lower())
        if i + 2 < len(tokens) and tokens[i + 1].text == ".":
            words[-1] += "." + tokens[i + 2].text.lower()
            i += 2
        i += 1
    if i < len(tokens) and tokens[i].text == "(":
        close = _matching(tokens, i)
        i = close + 1 if close is not None else i
    while i + 1 < len(tokens) and tokens[i].text == "[" and tokens[i + 1].text == "]":
        i += 2
    return " ".join(words), i


def _drop_casts(tokens: list[Token], column_types: dict[str, str]) -> list[Token]:
    own_types = {_bare_type(t) for t in column_types.values()}
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.text == "::" and token.kind == "op" and out:
            cast, end = _cast_type(tokens, i + 1)
            operand = out[-1]
            if operand.kind in ("str", "num") or operand.text == "NULL":
                droppable = cast in PLAIN_CAST_TYPES or cast in own_types
                if droppable and operand.kind == "str" and cast in NUMERIC_CAST_TYPES:
                    number = operand.text[1:-1]
                    if is_number(number):
                        out[-1] = Token("num", number)
            else:
                name = _unquote(operand.text) if operand.kind == "ident" else operand.text
                droppable = cast in TEXT_CAST_TYPES and _is_text_type(column_types.get(name))
            if droppable:
                i = end
                continue
        out.append(token)
        i += 1
    return out


def _drop_outer_parentheses(tokens: list[Token]) -> list[Token]:
    if tokens and tokens[0].text == "(" and _matching(tokens, 0) == len(tokens) - 1:
        return tokens[1:-1]
    return tokens


def _matching(tokens: list[Token], start: int) -> int | None:
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].text in ("(", "["):
            depth += 1
        elif tokens[i].text in (")", "]"):
            depth -= 1
            if depth == 0:
                return i
    return None


def render(tokens: list[Token]) -> str:
    parts: list[str] = []
    previous: Token | None = None
    for token in tokens:
        if previous is not None and _space_between(previous, token):
            parts.append(" ")
        parts.append(token.text)
        previous = token
    return "".join(parts)


def _space_between(left: Token, right: Token) -> bool:
    if right.text in (")", "]", ",", ".", "::", "[") or left.text in ("(", "[", ".", "::"):
        return False
    if left.kind == "sign":
        return False
    if right.text == "(":
        # f(x) is a call; IN (…), AND (…), = (…) are not.
        if left.kind == "kw":
            return left.text not in CALLABLE_KEYWORDS
        return left.kind in ("op", "sign") or left.text == ","
    return True


def _bare_type(model_type: str) -> str:
    return model_type.split("(")[0].strip().lower()


def _is_text_type(model_type: str | None) -> bool:
    return model_type is not None and _bare_type(model_type) in {"varchar", "char"}


def is_number(text: str) -> bool:
    return re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text) is not None
