"""The text around the statements: where each statement starts, and the comments beside it.

The statements are the ones the runners run (``Dialect.split_script``), located in the text so
that each has its 1-based line. Comments are found in the gaps between sqlglot's tokens, which
hold nothing but whitespace, comments and semicolons; a ``-- zdmigrate: ignore CODE reason``
comment on a statement's first line, or on the comment lines just above it, suppresses a rule
for that statement.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

from zdmigrate.analyze import ignores_at

if TYPE_CHECKING:
    from sqlglot import Token


class SourceText:
    def __init__(self, sql: str, tokens: list[Token]) -> None:
        self.sql = sql
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(sql) if ch == "\n"]
        self.token_lines = {self.line(t.start) for t in tokens}
        self.comments: dict[int, list[str]] = {}
        """Comment texts by line."""
        ends = [-1, *(t.end for t in tokens)]
        starts = [*(t.start for t in tokens), len(sql)]
        for before, after in zip(ends, starts, strict=True):
            for offset, text in _gap_comments(sql, before + 1, after):
                self.comments.setdefault(self.line(offset), []).append(text)

    def line(self, offset: int) -> int:
        """The 1-based line of character ``offset``."""
        return bisect_right(self.line_starts, offset)

    def spans(self, statements: list[str]) -> list[tuple[int, int]]:
        """The offsets of ``statements``, the text's statements in order as a splitter gave
        them (each a stripped piece of the text)."""
        spans, at = [], 0
        for text in statements:
            start = self.sql.find(text, at)
            spans.append((start, start + len(text)))
            at = start + len(text)
        return spans

    def ignores(self, line: int) -> dict[str, str]:
        """Rule code → reason, from ``-- zdmigrate: ignore ZD401[,ZD402] reason`` on ``line``
        or on the comment-only lines just above it."""
        return ignores_at(line, self.comments, self.token_lines)


def _gap_comments(sql: str, start: int, end: int) -> list[tuple[int, str]]:
    """The comments in ``sql[start:end]``, a stretch between two tokens."""
    found, i = [], start
    while i < end:
        if sql.startswith("--", i) or sql[i] == "#":
            stop = sql.find("\n", i, end)
            stop = end if stop == -1 else stop
        elif sql.startswith("/*", i):
            stop = sql.find("*/", i + 2, end)
            stop = end if stop == -1 else stop + 2
        else:
            i += 1
            continue
        found.append((i, sql[i:stop]))
        i = stop
    return found
