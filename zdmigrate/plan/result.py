"""What ``zdmigrate plan`` produces: per migration its steps and findings, and a summary.

Pure data; :mod:`zdmigrate.plan.report` renders it in each output format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zdmigrate.findings import Severity
from zdmigrate.steps import RUN_ORDER

if TYPE_CHECKING:
    from zdmigrate.findings import Finding
    from zdmigrate.steps import Phase, Step


@dataclass
class Suppressed:
    finding: Finding
    reason: str
    source: str
    """Where the suppression was written: "sql comment", "operation", "pyproject.toml"."""


@dataclass
class PlannedMigration:
    id: str
    path: str | None
    steps: dict[Phase, list[Step]]
    """Expand, backfill and contract steps, in run order."""
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "path": self.path,
            "phases": [
                {"phase": str(phase), "steps": [s.to_dict() for s in self.steps.get(phase, [])]}
                for phase in RUN_ORDER
            ],
            "findings": [f.to_dict() for f in self.findings],
            "suppressed": [
                {**s.finding.to_dict(), "reason": s.reason, "source": s.source}
                for s in self.suppressed
            ],
        }


@dataclass
class PlanResult:
    migrations: list[PlannedMigration]
    dialect: str
    server_version: str

    @property
    def findings(self) -> list[Finding]:
        return [f for m in self.migrations for f in m.findings]

    def summary(self) -> dict[str, int]:
        counts = {"errors": 0, "warnings": 0, "infos": 0}
        for f in self.findings:
            counts[f"{f.severity}s"] += 1
        return counts

    def fails(self, fail_on: str) -> bool:
        """Whether any finding is at or above ``fail_on`` (error, warning or never)."""
        if fail_on == "never":
            return False
        level = Severity(fail_on).rank
        return any(f.severity.rank >= level for f in self.findings)

    def to_dict(self) -> dict[str, object]:
        return {
            "dialect": self.dialect,
            "server_version": self.server_version,
            "migrations": [m.to_dict() for m in self.migrations],
            "summary": self.summary(),
        }
