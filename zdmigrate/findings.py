"""Findings: what the planner reports, and the rules they come from.

A :class:`Rule` is registered once, where its check lives, under a stable code; codes never
change meaning and are never reused. Code ranges:

- ``ZD1xx`` compatibility of an app version with a phase state (:mod:`zdmigrate.plan.compat`);
- ``ZD190`` a release whose phases cannot run in order (:mod:`zdmigrate.plan.planner`);
- ``ZD2xx`` lock, rewrite and scan facts of any step, either dialect (:mod:`zdmigrate.plan.locks`);
- ``ZD3xx`` PostgreSQL SQL (:mod:`zdmigrate.analyze.postgresql`);
- ``ZD4xx`` MySQL and MariaDB SQL (:mod:`zdmigrate.analyze.mysql`);
- ``ZD5xx`` plain Alembic revisions (:mod:`zdmigrate.alembic.record`).

Every rule has a page ``docs/rules/<code>.md``: the problem, an example, and the safe recipe.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: info 0, warning 1, error 2."""
        return (Severity.INFO, Severity.WARNING, Severity.ERROR).index(self)


@dataclass(frozen=True)
class Rule:
    code: str
    """Stable: ``ZD203``."""
    name: str
    """A slug for humans: ``table-rewrite``."""
    severity: Severity
    summary: str
    """One line: what the rule catches."""
    help: str
    """The default fix, pointing to the safe zdmigrate operation."""

    def finding(
        self,
        message: str,
        *,
        help: str | None = None,
        severity: Severity | None = None,
        phase: str | None = None,
        app: str | None = None,
        table: str | None = None,
        column: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> Finding:
        """A finding of this rule, with the rule's severity and help unless given."""
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            message=message,
            help=help or self.help,
            phase=phase,
            app=app,
            table=table,
            column=column,
            file=file,
            line=line,
        )


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, summary: str, help: str) -> Rule:
    """Register a rule; a code registered twice is a bug."""
    if code in RULES:
        raise RuntimeError(f"rule {code} is registered twice")
    RULES[code] = Rule(code, name, severity, summary, help)
    return RULES[code]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    help: str
    phase: str | None = None
    """expand, backfill or contract; None for a finding about the whole file."""
    app: str | None = None
    """"old" or "new" for a compatibility finding, else None."""
    table: str | None = None
    column: str | None = None
    file: str | None = None
    line: int | None = None

    def at(self, *, file: str | None, line: int | None) -> Finding:
        """The same finding placed in a file; a line it already has is kept."""
        return replace(self, file=file, line=self.line or line)

    def with_phase(self, phase: str) -> Finding:
        """The same finding in ``phase`` unless it names its own."""
        return self if self.phase else replace(self, phase=str(phase))

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "severity": str(self.severity)}
