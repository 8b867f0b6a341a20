"""Splitting a SQL script into its statements, because a driver call takes only one.

PyMySQL refuses ``a; b`` unless the connection was opened with CLIENT.MULTI_STATEMENTS, and
PostgreSQL runs a several-statement string as one implicit transaction, where CREATE INDEX
CONCURRENTLY cannot run. So a script is split here and each statement runs on its own.

A ``;`` ends a statement unless it is inside a string, a quoted name, a comment, a dollar-quoted
body (PostgreSQL) or a compound statement's ``BEGIN … END`` (a MySQL trigger or procedure body,
a PostgreSQL ``BEGIN ATOMIC`` body). ``CASE … END`` is counted too, so that its END does not
close a BEGIN. This is a lexer, not a parser: an unquoted name spelled ``begin`` or ``case``
would keep the rest of the script in one statement, which the server then refuses loudly.
"""

from __future__ import annotations

import re
from functools import cache

TRANSACTION_BEGIN = frozenset({None, ";", "WORK", "TRANSACTION"})
"""What follows a BEGIN that starts a transaction rather than a block."""
CONTROL_END = frozenset({"IF", "LOOP", "WHILE", "REPEAT"})
"""END IF and its like close control statements, which open no block here."""


@cache
def _token(backslash_escapes: bool, hash_comments: bool, dollar_quotes: bool) -> re.Pattern[str]:
    escape = r"\\." if backslash_escapes else r"(?!)"
    comment = r"--[^\n]*|/\*.*?(?:\*/|\Z)" + (r"|\#[^\n]*" if hash_comments else "")
    # A dollar quote cannot start inside a word: a$b$ is a name, not the opening of a body.
    dollar = (
        r"(?<![\w$])(?P<tag>\$(?:[A-Za-z_]\w*)?\$).*?(?:(?P=tag)|\Z)" if dollar_quotes else "(?!)"
    )
    return re.compile(
        rf"""(?P<skip>\s+|{comment})
        |(?P<quoted>(?<![\w$])[Ee]'(?:[^'\\]|''|\\.)*(?:'|\Z)
                  |'(?:[^'\\]|''|{escape}|\\)*(?:'|\Z)
                  |"(?:[^"\\]|""|{escape}|\\)*(?:"|\Z)
                  |`(?:[^`]|``)*(?:`|\Z)
                  |{dollar})
        |(?P<word>[A-Za-z_][\w$]*)
        |(?P<other>.)""",
        re.VERBOSE | re.DOTALL,
    )


def split_statements(
    sql: str,
    *,
    backslash_escapes: bool = False,
    hash_comments: bool = False,
    dollar_quotes: bool = False,
) -> list[str]:
    """The statements of ``sql`` without their closing ``;``, leaving out empty ones and ones
    that are only comments.

    ``backslash_escapes``: a backslash escapes the next character in every string (MySQL;
    PostgreSQL's ``E'…'`` strings are always read so). ``hash_comments``: ``#`` starts a
    comment (MySQL). ``dollar_quotes``: ``$tag$ … $tag$`` quotes a body (PostgreSQL).
    """
    pattern = _token(backslash_escapes, hash_comments, dollar_quotes)
    tokens = [(_significant(m), m.start()) for m in pattern.finditer(sql) if m.lastgroup != "skip"]
    statements: list[str] = []
    start, depth, empty, skip_next = 0, 0, True, False
    for i, (token, offset) in enumerate(tokens):
        following = tokens[i + 1][0] if i + 1 < len(tokens) else None
        if token == ";" and depth == 0:
            if not empty:
                statements.append(sql[start:offset].strip())
            start, empty = offset + 1, True
            continue
        empty = False
        if skip_next:
            skip_next = False
        elif token == "CASE" or (token == "BEGIN" and following not in TRANSACTION_BEGIN):
            depth += 1
        elif token == "END":
            # END IF / END LOOP close a statement that opened nothing; END CASE closes a CASE.
            skip_next = following in CONTROL_END or following == "CASE"
            if following not in CONTROL_END:
                depth = max(depth - 1, 0)
    if not empty:
        statements.append(sql[start:].strip())
    return statements


def _significant(match: re.Match[str]) -> str:
    """A word upper-cased, a ``;`` as itself, anything else (strings, numbers, signs) as ""."""
    if match.lastgroup == "word":
        return match.group().upper()
    return ";" if match.group() == ";" else ""
