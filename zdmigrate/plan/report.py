"""One plan, five readers: a person at a terminal (text), a reviewer of a pull request (markdown),
a script (json), GitHub Actions annotations (github) and code scanning (sarif).

Every renderer is pure: it reads the :class:`~zdmigrate.plan.result.PlanResult` and the rule
registry and returns a string; the CLI prints it. Suppressed findings are never shown as
findings: text and markdown count them (markdown also lists them with their reasons, for the
reviewer), github leaves them out, json and sarif carry them marked as suppressed.
"""

from __future__ import annotations

import html
import importlib.metadata
import json
import re
from pathlib import PurePath
from typing import TYPE_CHECKING
from urllib.parse import quote

import click

from zdmigrate.errors import BadInput
from zdmigrate.findings import RULES, Severity
from zdmigrate.steps import RUN_ORDER

if TYPE_CHECKING:
    from collections.abc import Iterator

    from zdmigrate.findings import Finding
    from zdmigrate.plan.result import PlannedMigration, PlanResult, Suppressed
    from zdmigrate.steps import Statement, Step

FORMATS = ("text", "markdown", "json", "github", "sarif")

TEXT_WIDTH = 100
"""A finding's phase-and-lock line is shown only where it fits: it is context, not the finding."""

SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
GITHUB_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
EXTERNAL_SUPPRESSION_SOURCES = frozenset({"pyproject.toml"})
"""Suppressions written outside the migration; every other source is in the migration itself."""


def render(
    result: PlanResult, format: str, *, color: bool = False, docs_url: str | None = None
) -> str:
    """``result`` in one of :data:`FORMATS`. ``color`` (text only) adds ANSI styles; the CLI
    passes it when stdout is a terminal. ``docs_url`` (sarif only): see :func:`render_sarif`."""
    match format:
        case "text":
            return render_text(result, color=color)
        case "markdown":
            return render_markdown(result)
        case "json":
            return render_json(result)
        case "github":
            return render_github(result)
        case "sarif":
            return render_sarif(result, docs_url=docs_url)
    raise BadInput(f"unknown report format {format!r}: use one of {', '.join(FORMATS)}")


# Shared by the formats -----------------------------------------------------------------------


def summary_sentence(result: PlanResult) -> str:
    """``2 errors, 1 warning, 0 infos in 3 migrations; 1 suppressed``, or ``no findings in …``."""
    counts = result.summary()
    migrations = _count(len(result.migrations), "migration")
    if any(counts.values()):
        severities = ", ".join(
            _count(counts[key], noun)
            for key, noun in (("errors", "error"), ("warnings", "warning"), ("infos", "info"))
        )
        sentence = f"{severities} in {migrations}"
    else:
        sentence = f"no findings in {migrations}"
    suppressed = sum(len(m.suppressed) for m in result.migrations)
    return f"{sentence}; {suppressed} suppressed" if suppressed else sentence


def lock_phrase(statement: Statement) -> str:
    """``lock ACCESS EXCLUSIVE (blocks reads, writes)``."""
    blocks = f" (blocks {', '.join(statement.blocks)})" if statement.blocks else ""
    return f"lock {statement.lock}{blocks}"


def annotated_sql(step: Step) -> str:
    """The step's SQL under a comment with its operation and lock facts, the way
    ``zdmigrate sql`` prints it, so that the SQL a reviewer reads is the SQL that runs."""
    s = step.statement
    facts = [lock_phrase(s)]
    facts += [fact for fact, on in (("rewrites the table", s.rewrite), ("scans", s.scan)) if on]
    if s.batched is not None:
        facts.append("batched")
    if not s.transactional:
        facts.append("outside a transaction")
    if not s.online:
        facts.append("NOT ONLINE")
    lines = [f"-- {step.operation}: {'; '.join(facts)}"]
    if s.note:
        lines.append(f"--   {s.note}")
    if step.undoes:
        lines.append(f"--   undoes {step.undoes}")
    return "\n".join([*lines, f"{s.sql};"])


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _findings(result: PlanResult) -> Iterator[tuple[PlannedMigration, Finding]]:
    for migration in result.migrations:
        for finding in migration.findings:
            yield migration, finding


def _path(finding: Finding, migration: PlannedMigration) -> str | None:
    return finding.file or migration.path


def _where(finding: Finding, migration: PlannedMigration) -> str:
    """``path:line``; ``path`` where the line is unknown; the migration id where both are."""
    path = _path(finding, migration) or migration.id
    return path if finding.line is None else f"{path}:{finding.line}"


def _rule_title(code: str) -> str:
    rule = RULES.get(code)
    return f"{code} {rule.name}" if rule else code


# text ----------------------------------------------------------------------------------------


def render_text(result: PlanResult, *, color: bool = False) -> str:
    """Per migration with findings, each finding as ``path:line: CODE severity message``, its
    help indented below, then its phase and lock where they fit; the summary sentence last."""

    def style(
        text: str, *, fg: str | None = None, bold: bool | None = None, dim: bool | None = None
    ) -> str:
        return click.style(text, fg=fg, bold=bold, dim=dim) if color else text

    blocks = []
    helped: set[tuple[str, str]] = set()
    for migration in result.migrations:
        if not migration.findings:
            continue
        title = f"migration {migration.id}" + (f" ({migration.path})" if migration.path else "")
        lines = [style(title, bold=True)]
        for finding in migration.findings:
            first, *more = finding.message.splitlines() or [""]
            severity = style(str(finding.severity), fg=SEVERITY_COLORS[finding.severity])
            where = style(f"{_where(finding, migration)}:", bold=True)
            lines.append(f"{where} {style(finding.code, bold=True)} {severity} {first}")
            lines += [f"    {line}" for line in more]
            # A help already shown for the same rule is not repeated.
            help_lines = (
                [f"(help: see {finding.code} above)"]
                if (finding.code, finding.help) in helped
                else finding.help.splitlines()
            )
            helped.add((finding.code, finding.help))
            lines += [style(f"    {line}", dim=True) for line in help_lines]
            context = _phase_and_lock(finding, migration)
            if context:
                lines.append(style(f"    {context}", dim=True))
        blocks.append("\n".join(lines))
    blocks.append(style(summary_sentence(result), bold=True))
    return "\n\n".join(blocks)


def _phase_and_lock(finding: Finding, migration: PlannedMigration) -> str | None:
    """``expand phase, lock SHARE on orders``: the locks the finding's phase takes on the
    finding's table. Only the phase where that is too long for one line."""
    if finding.phase is None:
        return None
    phase = f"{finding.phase} phase"
    steps = {str(p): steps for p, steps in migration.steps.items()}.get(finding.phase, [])
    locks = dict.fromkeys(
        lock_phrase(step.statement)
        for step in steps
        if finding.table is not None and step.statement.table == finding.table
    )
    with_locks = f"{phase}, {' and '.join(locks)} on {finding.table}"
    return with_locks if locks and len(with_locks) + 4 <= TEXT_WIDTH else phase


# markdown ------------------------------------------------------------------------------------


def render_markdown(result: PlanResult) -> str:
    """A pull-request comment: the verdict, a table of findings with how to fix each, then per
    migration a collapsed block with the SQL each phase runs and the lock of each statement."""
    lines = [
        f"### {_verdict(result)} zdmigrate plan: {summary_sentence(result)}",
        "",
        f"Planned for {_md_text(result.dialect)} {_md_text(result.server_version)}.",
    ]
    if result.findings:
        lines += ["", _md_row("severity", "code", "where", "message"), _md_row(*["---"] * 4)]
        for migration, finding in _findings(result):
            phase = f" ({finding.phase})" if finding.phase else ""
            lines.append(
                _md_row(
                    str(finding.severity),
                    _md_code(_rule_title(finding.code)),
                    _md_code(_where(finding, migration)) + phase,
                    _md_text(finding.message),
                )
            )
        lines += ["", "**How to fix**", ""]
        lines += [
            _md_item(f"**{f.code}** {_md_code(_where(f, m))}: {_md_text(f.help)}")
            for m, f in _findings(result)
        ]
    for migration in result.migrations:
        lines += ["", *_md_migration(migration)]
    return "\n".join(lines)


def _verdict(result: PlanResult) -> str:
    """❌ with an error, ⚠️ with a warning, ✅ otherwise (infos do not hold back a merge)."""
    severities = {f.severity for f in result.findings}
    if Severity.ERROR in severities:
        return "❌"
    return "⚠️" if Severity.WARNING in severities else "✅"


def _md_migration(migration: PlannedMigration) -> list[str]:
    statements = sum(len(steps) for steps in migration.steps.values())
    path = f" {_md_text(migration.path)}" if migration.path else ""
    counts = f"{_count(statements, 'statement')}, {_count(len(migration.findings), 'finding')}"
    lines = [
        "<details>",
        f"<summary><code>{_md_text(migration.id)}</code>{path}: {counts}</summary>",
    ]
    for phase in RUN_ORDER:
        steps = migration.steps.get(phase, [])
        if not steps:
            lines += ["", f"**{phase}**: nothing to run"]
            continue
        sql = "\n\n".join(annotated_sql(step) for step in steps)
        fence = _backticks(sql, at_least=3)
        lines += ["", f"**{phase}**", "", f"{fence}sql", sql, fence]
    if migration.suppressed:
        lines += ["", "**suppressed**", ""]
        lines += [_md_item(_md_suppressed(s)) for s in migration.suppressed]
    return [*lines, "", "</details>"]


def _md_suppressed(suppressed: Suppressed) -> str:
    finding = suppressed.finding
    return (
        f"**{finding.code}** {_md_text(finding.message)} — {_md_text(suppressed.reason)}"
        f" ({_md_text(suppressed.source)})"
    )


def _md_text(text: str) -> str:
    """Text from a finding or a migration, made inert: no HTML of its own (``<details>`` in a
    message must not open a block)."""
    return html.escape(text, quote=False)


def _md_code(text: str) -> str:
    """A code span that holds any text, backticks included."""
    ticks = _backticks(text, at_least=1)
    pad = " " if "`" in text else ""  # CommonMark strips one space each side, so `x` can touch
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _backticks(text: str, *, at_least: int) -> str:
    """A run of backticks longer than any in ``text``, so that ``text`` cannot close it."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    return "`" * max(at_least, longest + 1)


def _md_row(*cells: str) -> str:
    """A table row. ``|`` is escaped even inside code spans, where GFM tables still split on it;
    a line break would end the row."""
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", "<br>") for c in cells) + " |"


def _md_item(text: str) -> str:
    """A list item whose later lines stay inside the item."""
    return "- " + text.replace("\n", "\n  ")


# json ----------------------------------------------------------------------------------------


def render_json(result: PlanResult) -> str:
    """The contract's JSON (DESIGN.md; the shape is ``docs/plan-json.schema.json``)."""
    return json.dumps(result.to_dict(), indent=2)


# github --------------------------------------------------------------------------------------


def render_github(result: PlanResult) -> str:
    """One GitHub Actions workflow command per finding, which the runner turns into an
    annotation on the file and line: ``::error file=P,line=N,title=CODE name::message — help``."""
    lines = []
    for migration, finding in _findings(result):
        properties = {
            "file": _path(finding, migration),
            "line": finding.line,
            "title": _rule_title(finding.code),
        }
        given = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in properties.items()
            if value is not None
        )
        message = _escape_data(f"{finding.message} — {finding.help}")
        lines.append(f"::{GITHUB_COMMANDS[finding.severity]} {given}::{message}")
    return "\n".join(lines)


def _escape_data(text: str) -> str:
    """Workflow-command escaping of the message: a raw line break would end the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """Properties also escape the ``:`` and ``,`` that delimit them."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


# sarif ---------------------------------------------------------------------------------------


def render_sarif(result: PlanResult, *, docs_url: str | None = None) -> str:
    """SARIF 2.1.0 for code scanning: the rules that appear, and every finding as a result;
    suppressed findings are results with their suppression, so the scanner shows them as such.

    ``docs_url``: the absolute URL of the published docs, under which each rule's page is
    ``rules/CODE/``; each rule's ``helpUri`` points there. Without it there is no ``helpUri``:
    SARIF requires an absolute URI, and GitHub refuses an upload with a relative one. The rule's
    help text names its page, ``docs/rules/CODE.md``, instead.
    """
    entries: list[tuple[PlannedMigration, Finding, Suppressed | None]] = [
        (migration, finding, None) for migration, finding in _findings(result)
    ]
    entries += [(m, s.finding, s) for m in result.migrations for s in m.suppressed]
    codes = [code for code in dict.fromkeys(f.code for _, f, _ in entries) if code in RULES]
    driver: dict[str, object] = {
        "name": "zdmigrate",
        "version": _zdmigrate_version(),
        "rules": [_sarif_rule(code, docs_url) for code in codes],
    }
    if docs_url:
        driver["informationUri"] = docs_url
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "results": [
                    _sarif_result(migration, finding, suppressed, codes)
                    for migration, finding, suppressed in entries
                ],
            }
        ],
    }
    return json.dumps(log, indent=2)


def _sarif_rule(code: str, docs_url: str | None) -> dict[str, object]:
    rule = RULES[code]
    page = f"docs/rules/{code}.md"
    described: dict[str, object] = {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "help": {
            "text": f"{rule.help}\n\nSee {page} in the zdmigrate documentation.",
            "markdown": f"{rule.help}\n\nSee `{page}` in the zdmigrate documentation.",
        },
        "defaultConfiguration": {"level": SARIF_LEVELS[rule.severity]},
    }
    if docs_url:
        described["helpUri"] = f"{docs_url.rstrip('/')}/rules/{code}/"
    return described


def _sarif_result(
    migration: PlannedMigration,
    finding: Finding,
    suppressed: Suppressed | None,
    codes: list[str],
) -> dict[str, object]:
    rule = RULES.get(finding.code)
    # The rule's help is shown beside every result; help written for this finding is not.
    own_help = rule is None or finding.help != rule.help
    text = f"{finding.message}\n\n{finding.help}" if own_help else finding.message
    sarif: dict[str, object] = {
        "ruleId": finding.code,
        "level": SARIF_LEVELS[finding.severity],
        "message": {"text": text},
    }
    if finding.code in codes:
        sarif["ruleIndex"] = codes.index(finding.code)
    path = _path(finding, migration)
    if path:
        physical: dict[str, object] = {"artifactLocation": {"uri": _artifact_uri(path)}}
        if finding.line is not None and finding.line >= 1:
            physical["region"] = {"startLine": finding.line}
        sarif["locations"] = [{"physicalLocation": physical}]
    place = {"migration": migration.id, "phase": finding.phase, "app": finding.app}
    place |= {"table": finding.table, "column": finding.column}
    sarif["properties"] = {key: value for key, value in place.items() if value is not None}
    if suppressed:
        kind = "external" if suppressed.source in EXTERNAL_SUPPRESSION_SOURCES else "inSource"
        sarif["suppressions"] = [{"kind": kind, "justification": suppressed.reason}]
    return sarif


def _artifact_uri(path: str) -> str:
    """A URI reference: relative paths stay relative (code scanning resolves them against the
    checkout), percent-encoded so that a space or ``#`` in a name keeps it a valid reference."""
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(pure.as_posix())


def _zdmigrate_version() -> str:
    try:
        return importlib.metadata.version("zdmigrate")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was not installed
        from zdmigrate import __version__

        return __version__
