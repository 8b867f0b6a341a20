"""The PostgreSQL analyser: statements, lines, suppressions and transactions; one failing and one
passing case per rule; the SQL corpus with its expected verdicts; and, on the real server, that
the lock, rewrite and scan declared for a statement are what PostgreSQL does.

The corpus (tests/sql_corpus/postgresql/NNN_name.sql) starts each case with ``-- expect: ok`` or
``-- expect: ZD3xx[,ZD3yy]``, optionally ``-- server: N`` and ``-- runner: external``; every case
runs against the tables of _baseline.sql, read through the analyser itself.
benchmarks/squawk_compare.py reads the same cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa

from zdmigrate.analyze import Analysis, analyze
from zdmigrate.analyze.postgresql_facts import LOCK_MODES, strength
from zdmigrate.dialects import get_dialect
from zdmigrate.errors import InvalidOperation
from zdmigrate.findings import RULES
from zdmigrate.reflect import reflect_schema
from zdmigrate.schema import Column, Schema, Table

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "sql_corpus" / "postgresql"


@cache
def baseline() -> Schema:
    """The schema of _baseline.sql: the tables every corpus case runs against."""
    return run((CORPUS / "_baseline.sql").read_text(), Schema()).schema


def run(
    sql: str, schema: Schema | None = None, version: str = "15", *, external: bool = False
) -> Analysis:
    schema = baseline() if schema is None else schema
    return analyze(sql, get_dialect("postgresql", version), schema, external_runner=external)


def codes(analysis: Analysis) -> set[str]:
    """The codes found, less those an ignore comment suppresses."""
    found = {f.code for s in analysis.statements for f in s.findings if f.code not in s.ignores}
    return found | {f.code for f in analysis.findings}


@dataclass(frozen=True)
class CorpusCase:
    path: Path
    expected: frozenset[str]
    server: str
    external_runner: bool

    @property
    def name(self) -> str:
        return self.path.stem

    def analysis(self) -> Analysis:
        text = self.path.read_text()
        return run(text, version=self.server, external=self.external_runner)

    def codes(self) -> set[str]:
        return codes(self.analysis())


def corpus_cases() -> list[CorpusCase]:
    cases = []
    for path in sorted(CORPUS.glob("[0-9][0-9][0-9]_*.sql")):
        text = path.read_text()
        expect = re.match(r"-- expect: (\S+)\n", text)
        assert expect, f"{path.name} must start with -- expect: ok or -- expect: ZD3xx"
        server = re.search(r"^-- server: (\d+)$", text, re.MULTILINE)
        expected = frozenset() if expect[1] == "ok" else frozenset(expect[1].split(","))
        cases.append(
            CorpusCase(
                path,
                expected,
                server[1] if server else "15",
                re.search(r"^-- runner: external$", text, re.MULTILINE) is not None,
            )
        )
    return cases


# --- statements, lines, suppressions --------------------------------------------------------


def test_each_statement_keeps_its_text_and_first_line() -> None:
    sql = (
        "-- a comment\nCREATE TABLE t (id bigint);\n\n  /* c */ ALTER TABLE t\n  ADD COLUMN é text;"
    )
    statements = run(sql).statements
    assert [(s.statement.sql, s.line) for s in statements] == [
        ("CREATE TABLE t (id bigint)", 2),
        ("ALTER TABLE t\n  ADD COLUMN é text", 4),
    ]


def test_a_statement_that_does_not_parse_names_its_line() -> None:
    with pytest.raises(InvalidOperation, match=r"^line 3: syntax error"):
        run("SELECT 1;\n\nALTER TABLE users ADD;")


def test_a_psql_meta_command_is_named_as_not_sql() -> None:
    with pytest.raises(InvalidOperation, match=r"^line 2: .*psql meta-commands"):
        run("SELECT 1;\n\\i other.sql\nSELECT 2;")


def test_ignore_comments_above_or_on_the_first_line() -> None:
    sql = (
        "-- zdmigrate: ignore ZD301 the table has 40 rows\n"
        "-- some other note\n"
        "CREATE INDEX a ON users (name);\n"
        "CREATE INDEX b ON users (age); -- zdmigrate: ignore ZD301,ZD321 built at night\n"
        "-- zdmigrate: ignore ZD301 too far away\n"
        "\n"
        "CREATE INDEX c ON users (bio);\n"
    )
    statements = run(sql).statements
    assert statements[0].ignores == {"ZD301": "the table has 40 rows"}
    assert statements[1].ignores == {"ZD301": "built at night", "ZD321": "built at night"}
    assert statements[2].ignores == {}


def test_explicit_transaction_blocks_are_marked() -> None:
    sql = (
        "ALTER TABLE users ADD COLUMN a int;\n"
        "BEGIN;\nALTER TABLE users ADD COLUMN b int;\nCOMMIT;\n"
        "SELECT 1;"
    )
    assert [s.in_transaction for s in run(sql).statements] == [False, True, True, True, False]


def test_the_down_section_of_a_dbmate_file_is_not_analysed() -> None:
    sql = "-- migrate:up\nALTER TABLE users ADD COLUMN a int;\n-- migrate:down\nDROP TABLE users;"
    analysis = run(sql)
    assert [s.statement.sql for s in analysis.statements] == ["ALTER TABLE users ADD COLUMN a int"]
    assert "users" in analysis.schema.tables


def test_the_model_is_carried_through_and_the_callers_is_untouched() -> None:
    before = baseline()
    analysis = run(
        "CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric(12, 2) NOT NULL DEFAULT 0);\n"
        "ALTER TABLE users ADD COLUMN plan varchar(20) NOT NULL DEFAULT 'free';\n"
        "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
        "ALTER TABLE users DROP COLUMN bio;\n"
        "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID;\n"
        "CREATE INDEX CONCURRENTLY users_plan_idx ON users (plan) WHERE plan <> 'free';\n"
        "ALTER TABLE legacy RENAME TO old_legacy;\n"
        "DROP TABLE archive;\n"
        "ALTER TYPE order_state ADD VALUE 'refunded' BEFORE 'shipped';\n"
    )
    after = analysis.schema
    invoices = after.tables["invoices"]
    assert invoices.columns["total"] == Column("total", "NUMERIC(12,2)", False, "0")
    assert invoices.primary_key is not None and invoices.primary_key.columns == ["id"]
    users = after.tables["users"]
    assert users.columns["plan"] == Column("plan", "VARCHAR(20)", False, "'free'")
    assert "full_name" in users.columns and "name" not in users.columns
    assert "bio" not in users.columns
    assert users.columns["age"].type == "BIGINT"
    assert users.indexes["users_plan_idx"].where == "plan <> 'free'"
    fk = after.tables["orders"].foreign_keys["orders_user_fk"]
    assert (fk.ref_table, fk.ref_columns, fk.validated) == ("users", ["id"], False)
    assert "old_legacy" in after.tables and "legacy" not in after.tables
    assert "archive" not in after.tables
    assert after.enums["order_state"].values == ["new", "paid", "refunded", "shipped"]
    assert before is baseline() and "plan" not in before.tables["users"].columns
    assert "name" in before.tables["users"].columns and "archive" in before.tables


def test_the_rename_with_a_view_recipe_is_modelled() -> None:
    after = run(
        "ALTER TABLE orders RENAME TO purchases;\n"
        "CREATE VIEW orders AS SELECT * FROM purchases;\n"
        "CREATE VIEW order_notes AS SELECT id, note FROM purchases;\n"
        "CREATE VIEW big_orders AS SELECT * FROM purchases WHERE amount > 100;\n"
    ).schema
    assert after.views["orders"].table == "purchases"
    assert after.views["order_notes"].columns == ["id", "note"]
    assert "big_orders" not in after.views  # filtered: not a plain view of the table
    assert after.relation("orders").columns.keys() == after.tables["purchases"].columns.keys()
    assert run("DROP VIEW orders;", after).schema.views.keys() == {"order_notes"}


def test_statements_on_tables_the_model_does_not_know_are_analysed() -> None:
    analysis = run(
        "ALTER TABLE nowhere ADD COLUMN a int NOT NULL;\n"
        "ALTER TABLE nowhere ALTER COLUMN b TYPE text;\n"
        "DROP INDEX nowhere_idx;\n",
        Schema(),
    )
    assert codes(analysis) == {"ZD307", "ZD308", "ZD302"}
    assert analysis.schema.tables == {}


def test_a_table_created_earlier_in_the_text_gets_no_lock_finding() -> None:
    sql = (
        "CREATE TABLE drafts (id bigint PRIMARY KEY, title varchar(20), body text);\n"
        "CREATE INDEX drafts_title_idx ON drafts (title);\n"
        "ALTER TABLE drafts ALTER COLUMN title TYPE integer USING length(title);\n"
        "ALTER TABLE drafts ALTER COLUMN body SET NOT NULL;\n"
        "ALTER TABLE drafts ADD CONSTRAINT drafts_title_key UNIQUE (title);\n"
        "UPDATE drafts SET body = '';\n"
        "ALTER TABLE drafts RENAME TO notes;\n"
        "ALTER TABLE notes DROP COLUMN body;\n"
    )
    assert codes(run(sql)) == set()


# --- lock facts per server version ---------------------------------------------------------


def facts(sql: str, version: str = "15") -> tuple[str, tuple[str, ...], bool, bool, bool]:
    s = run(sql, version=version).statements[-1].statement
    return s.lock, s.blocks, s.rewrite, s.scan, s.transactional


@pytest.mark.parametrize(
    ("sql", "version", "expected"),
    [
        ("CREATE INDEX i ON users (name)", "15", ("SHARE", ("writes",), False, True, True)),
        (
            "CREATE INDEX CONCURRENTLY i ON users (name)",
            "15",
            ("SHARE UPDATE EXCLUSIVE", (), False, True, False),
        ),
        (
            "ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users (id)",
            "15",
            ("SHARE ROW EXCLUSIVE", ("writes",), False, True, True),
        ),
        (
            "ALTER TABLE users ADD COLUMN n int DEFAULT 0",
            "15",
            ("ACCESS EXCLUSIVE", ("reads", "writes"), False, False, True),
        ),
        (
            "ALTER TABLE users ADD COLUMN n int DEFAULT 0",
            "10",
            ("ACCESS EXCLUSIVE", ("reads", "writes"), True, False, True),
        ),
        ("ALTER TYPE mood ADD VALUE 'calm'", "15", ("none", (), False, False, True)),
        ("ALTER TYPE mood ADD VALUE 'calm'", "11", ("none", (), False, False, False)),
        (
            "ALTER INDEX users_email_idx RENAME TO e",
            "15",
            ("SHARE UPDATE EXCLUSIVE", (), False, False, True),
        ),
        (
            "ALTER INDEX users_email_idx RENAME TO e",
            "11",
            ("ACCESS EXCLUSIVE", ("reads", "writes"), False, False, True),
        ),
        (
            "ALTER TABLE events ATTACH PARTITION legacy FOR VALUES FROM (1) TO (2)",
            "11",
            ("ACCESS EXCLUSIVE", ("reads", "writes"), False, False, True),
        ),
        (
            "ALTER TABLE orders SET (fillfactor = 70)",
            "15",
            ("SHARE UPDATE EXCLUSIVE", (), False, False, True),
        ),
        (
            "ALTER TABLE orders SET (user_catalog_table = true)",
            "15",
            ("ACCESS EXCLUSIVE", ("reads", "writes"), False, False, True),
        ),
        (
            "REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals",
            "15",
            ("EXCLUSIVE", (), False, True, True),
        ),
        ("VACUUM orders", "15", ("SHARE UPDATE EXCLUSIVE", (), False, False, False)),
        ("DO $$ BEGIN END $$", "15", ("unknown", ("reads", "writes"), False, False, True)),
        ("UPDATE users SET age = 1", "15", ("ROW EXCLUSIVE", (), False, True, True)),
    ],
)
def test_lock_facts(sql: str, version: str, expected: tuple[object, ...]) -> None:
    assert facts(sql, version) == expected


def test_set_not_null_skips_its_scan_only_where_a_validated_check_proves_it() -> None:
    proven = "ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL"
    assert facts(proven)[3] is False
    assert facts(proven, "11")[3] is True  # before 12 the check does not help
    unproven = "ALTER TABLE orders DROP CONSTRAINT orders_user_id_not_null;\n" + proven
    assert facts(unproven)[3] is True


@pytest.mark.parametrize(
    ("column", "new_type", "rewrites"),
    [
        ("users.email", "varchar(200)", False),
        ("users.email", "varchar", False),
        ("users.email", "text", False),
        ("users.email", "varchar(50)", True),
        ("users.name", "varchar(10)", True),
        ("users.age", "bigint", True),
        ("users.age", "int4", False),
        ("orders.amount", "numeric(12, 2)", False),
        ("orders.amount", "numeric", False),
        ("orders.amount", "numeric(12, 3)", True),
        ("orders.currency", "char(5)", True),
        ("orders.currency", "text", True),
        ("orders.placed_at", "timestamptz", True),
        ("orders.placed_at", "timestamp(3)", True),
    ],
)
def test_which_type_changes_rewrite(column: str, new_type: str, rewrites: bool) -> None:
    table, name = column.split(".")
    assert facts(f"ALTER TABLE {table} ALTER COLUMN {name} TYPE {new_type}")[2] is rewrites


@pytest.mark.parametrize(
    ("default", "rewrites"),
    [
        ("0", False),
        ("'x'", False),
        ("now()", False),
        ("CURRENT_TIMESTAMP", False),
        ("now() + interval '1 day'", False),
        ("lower('X')", False),
        ("2 + 2", False),
        ("random()", True),
        ("gen_random_uuid()", True),
        ("clock_timestamp()", True),
        ("nextval('s')", True),
        ("uuid_generate_v4()", True),
        ("my_function()", True),
    ],
)
def test_which_defaults_rewrite(default: str, rewrites: bool) -> None:
    assert facts(f"ALTER TABLE users ADD COLUMN n text DEFAULT {default}")[2] is rewrites


def test_a_function_the_text_declares_keeps_its_declared_volatility() -> None:
    declare = "CREATE FUNCTION f() RETURNS int LANGUAGE sql {} AS $$ SELECT 1 $$;\n"
    add = "ALTER TABLE users ADD COLUMN n int DEFAULT f()"
    assert facts(declare.format("STABLE") + add)[2] is False
    assert facts(declare.format("VOLATILE") + add)[2] is True


# --- one failing and one passing case per rule ---------------------------------------------

RULE_CASES: list[tuple[str, str, str]] = [
    # (code, SQL that breaks the rule, SQL that does the same safely)
    ("ZD301", "CREATE INDEX i ON users (name)", "CREATE INDEX CONCURRENTLY i ON users (name)"),
    ("ZD302", "DROP INDEX users_email_idx", "DROP INDEX CONCURRENTLY users_email_idx"),
    ("ZD303", "REINDEX TABLE users", "REINDEX TABLE CONCURRENTLY users"),
    (
        "ZD304",
        "BEGIN;\nDROP INDEX CONCURRENTLY users_email_idx;\nCOMMIT;",
        "BEGIN;\nCOMMIT;\nDROP INDEX CONCURRENTLY users_email_idx;",
    ),
    ("ZD305", "VACUUM (FULL) orders", "VACUUM (ANALYZE) orders"),
    (
        "ZD306",
        "ALTER TABLE users ADD COLUMN t timestamptz DEFAULT clock_timestamp()",
        "ALTER TABLE users ADD COLUMN t timestamptz DEFAULT now()",
    ),
    (
        "ZD307",
        "ALTER TABLE users ADD COLUMN plan text NOT NULL",
        "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free'",
    ),
    (
        "ZD308",
        "ALTER TABLE users ALTER COLUMN age TYPE numeric",
        "ALTER TABLE users ALTER COLUMN bio TYPE varchar(300)",
    ),
    (
        "ZD309",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
        "ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL",
    ),
    (
        "ZD310",
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (amount >= 0)",
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (amount >= 0) NOT VALID",
    ),
    (
        "ZD311",
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (amount >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT c;",
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (amount >= 0) NOT VALID;\n"
        "COMMIT;\nALTER TABLE orders VALIDATE CONSTRAINT c;",
    ),
    (
        "ZD312",
        "ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE (name)",
        "ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE USING INDEX users_name_idx",
    ),
    (
        "ZD313",
        "ALTER TABLE users RENAME COLUMN name TO full_name",
        "ALTER TABLE users ADD COLUMN full_name text",
    ),
    (
        "ZD314",
        "ALTER TABLE orders RENAME TO purchases",
        "CREATE TABLE purchases (id bigint PRIMARY KEY)",
    ),
    (
        "ZD315",
        "ALTER TABLE users DROP COLUMN bio",
        "ALTER TABLE users ALTER COLUMN bio DROP NOT NULL",
    ),
    ("ZD316", "DROP TABLE legacy", "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;"),
    (
        "ZD317",
        "ALTER TYPE order_state RENAME VALUE 'paid' TO 'settled'",
        "ALTER TYPE order_state ADD VALUE 'settled'",
    ),
    ("ZD318", "DROP TYPE order_state", "DROP TYPE mood"),
    (
        "ZD319",
        "BEGIN;\nALTER TABLE orders ADD COLUMN n int;\n"
        "INSERT INTO archive SELECT * FROM orders;\nCOMMIT;",
        "BEGIN;\nALTER TABLE orders ADD COLUMN n int;\nCOMMIT;\n"
        "INSERT INTO archive SELECT * FROM orders;",
    ),
    ("ZD320", "DELETE FROM orders", "DELETE FROM orders WHERE id = 1"),
    ("ZD322", "LOCK TABLE users", "LOCK TABLE users IN ROW EXCLUSIVE MODE"),
    ("ZD323", "TRUNCATE orders", "CREATE TABLE t (id int);\nTRUNCATE t;"),
    ("ZD324", "ALTER TABLE orders SET LOGGED", "ALTER TABLE orders SET (fillfactor = 90)"),
    (
        "ZD325",
        "BEGIN;\nALTER TABLE users ADD COLUMN n int;",
        "BEGIN;\nALTER TABLE users ADD COLUMN n int;\nCOMMIT;",
    ),
    (
        "ZD326",
        "REFRESH MATERIALIZED VIEW order_totals",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals",
    ),
    (
        "ZD327",
        "CREATE TABLE tags (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
        "CREATE TABLE tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n integer)",
    ),
    (
        "ZD328",
        "ALTER TABLE users ADD COLUMN code char(2)",
        "ALTER TABLE users ADD COLUMN code text",
    ),
    (
        "ZD329",
        "ALTER TABLE users ADD COLUMN seen timestamp",
        "ALTER TABLE users ADD COLUMN seen timestamptz",
    ),
    (
        "ZD330",
        "ALTER TABLE events DETACH PARTITION events_2023",
        "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY",
    ),
    (
        "ZD331",
        "ALTER TABLE users ALTER COLUMN created_at DROP DEFAULT",
        "ALTER TABLE users ALTER COLUMN created_at SET DEFAULT clock_timestamp()",
    ),
    (
        "ZD332",
        "ALTER TABLE orders DROP CONSTRAINT orders_user_id_not_null",
        "ALTER TABLE orders DROP CONSTRAINT IF EXISTS no_such_constraint",
    ),
]


def test_every_rule_has_a_case_and_a_page() -> None:
    ours = {code for code in RULES if code.startswith("ZD3")}
    assert ours == {code for code, _, _ in RULE_CASES} | {"ZD321"}
    for code in ours:
        page = ROOT / "docs" / "rules" / f"{code}.md"
        assert page.is_file(), f"{code} has no page"
        text = page.read_text()
        assert text.startswith(f"# {code} {RULES[code].name}\n")
        for section in ("## Problem", "## Example", "## Safe recipe"):
            assert section in text, f"{page.name} has no {section}"


@pytest.mark.parametrize(("code", "bad", "good"), RULE_CASES, ids=[c for c, _, _ in RULE_CASES])
def test_rule(code: str, bad: str, good: str) -> None:
    found = run(bad)
    assert code in codes(found)
    finding = next(
        f for s in found.statements for f in (*s.findings, *found.findings) if f.code == code
    )
    assert finding.message and finding.help == (finding.help or RULES[code].help)
    assert code not in codes(run(good))


def test_zd321_missing_timeouts_only_under_an_external_runner() -> None:
    sql = "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN b int;"
    found = run(sql, external=True).findings
    assert [(f.code, f.line, f.table) for f in found] == [("ZD321", 1, "users")]
    assert "lock_timeout or statement_timeout" in found[0].message
    assert run(sql).findings == []
    timed = "SET lock_timeout = '1s';\nSELECT set_config('statement_timeout', '30s', false);\n"
    assert run(timed + sql, external=True).findings == []
    half = "SET lock_timeout TO 0;\nSET statement_timeout = '30s';\n"
    assert "no lock_timeout set" in run(half + sql, external=True).findings[0].message
    # Locks only on a table the text created wait for nobody.
    assert (
        run("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a int;", external=True).findings
        == []
    )


def test_help_points_to_the_safe_operation() -> None:
    assert "ops.CreateIndex" in RULES["ZD301"].help and "CONCURRENTLY" in RULES["ZD301"].help
    assert "ops.ChangeColumnType" in RULES["ZD308"].help
    assert "ops.SetNotNull" in RULES["ZD309"].help
    assert "ops.AddUniqueConstraint" in RULES["ZD312"].help
    assert "pg_repack" in RULES["ZD305"].help
    assert "ops.Backfill" in RULES["ZD320"].help


# --- the corpus ----------------------------------------------------------------------------


def test_the_corpus_has_at_least_60_cases_and_covers_every_rule() -> None:
    cases = corpus_cases()
    assert len(cases) >= 60
    assert sum(not c.expected for c in cases) >= 20  # safe cases too
    covered = set().union(*(c.expected for c in cases))
    assert covered == {code for code in RULES if code.startswith("ZD3")}


@pytest.mark.parametrize("case", corpus_cases(), ids=lambda c: c.name)
def test_corpus(case: CorpusCase) -> None:
    assert case.codes() == set(case.expected)


def test_a_statement_is_online_unless_a_finding_says_why() -> None:
    for case in corpus_cases():
        for analysed in case.analysis().statements:
            s = analysed.statement
            if not s.online and s.lock != "unknown":
                assert analysed.findings, f"{case.name} line {analysed.line}: offline, no finding"


# --- on the real server: the declared lock, rewrite and scan --------------------------------

LIVE_SETUP = """
DROP SCHEMA IF EXISTS pga_live CASCADE;
CREATE SCHEMA pga_live;
CREATE TABLE pga_live.users (
    id bigint PRIMARY KEY, email varchar(50) NOT NULL, name text, age integer
);
CREATE TABLE pga_live.orders (
    id bigint PRIMARY KEY, user_id bigint, amount numeric(10, 2), note varchar(20),
    CONSTRAINT orders_user_id_nn CHECK (user_id IS NOT NULL)
);
INSERT INTO pga_live.users
    SELECT g, 'u' || g || '@example.com', 'n', g FROM generate_series(1, 200) g;
INSERT INTO pga_live.orders SELECT g, g, g, 'x' FROM generate_series(1, 200) g;
CREATE INDEX orders_note_idx ON pga_live.orders (note);
ALTER TABLE pga_live.orders ADD CONSTRAINT orders_amount_nonneg CHECK (amount >= 0) NOT VALID;
ANALYZE pga_live.users;
ANALYZE pga_live.orders;
"""

LIVE_CASES: list[tuple[str, str]] = [
    # (statement, the relation whose lock is read; the statement's table unless named)
    ("CREATE INDEX orders_amount_idx ON pga_live.orders (amount)", ""),
    ("DROP INDEX pga_live.orders_note_idx", ""),
    ("REINDEX INDEX pga_live.orders_note_idx", "pga_live.orders_note_idx"),
    ("ALTER INDEX pga_live.orders_note_idx RENAME TO orders_note_idx2", "pga_live.orders_note_idx"),
    (
        "ALTER TABLE pga_live.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES pga_live.users (id) NOT VALID",
        "",
    ),
    (
        "ALTER TABLE pga_live.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES pga_live.users (id)",
        "",
    ),
    ("ALTER TABLE pga_live.orders ADD CONSTRAINT c CHECK (amount < 1000) NOT VALID", ""),
    ("ALTER TABLE pga_live.orders ADD CONSTRAINT c CHECK (amount < 1000)", ""),
    ("ALTER TABLE pga_live.orders VALIDATE CONSTRAINT orders_amount_nonneg", ""),
    ("ALTER TABLE pga_live.users ADD COLUMN plan text NOT NULL DEFAULT 'free'", ""),
    ("ALTER TABLE pga_live.users ADD COLUMN r float8 DEFAULT random()", ""),
    ("ALTER TABLE pga_live.users ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY", ""),
    ("ALTER TABLE pga_live.users ADD COLUMN k int CHECK (k > 0)", ""),
    ("ALTER TABLE pga_live.orders ADD COLUMN owner_id bigint REFERENCES pga_live.users (id)", ""),
    ("ALTER TABLE pga_live.orders ALTER COLUMN note TYPE varchar(40)", ""),
    ("ALTER TABLE pga_live.orders ALTER COLUMN note TYPE text", ""),
    ("ALTER TABLE pga_live.orders ALTER COLUMN amount TYPE numeric(12, 2)", ""),
    ("ALTER TABLE pga_live.orders ALTER COLUMN amount TYPE numeric(10, 3)", ""),
    ("ALTER TABLE pga_live.users ALTER COLUMN age TYPE bigint", ""),
    ("ALTER TABLE pga_live.orders ALTER COLUMN user_id SET NOT NULL", ""),
    ("ALTER TABLE pga_live.users ALTER COLUMN name SET NOT NULL", ""),
    ("ALTER TABLE pga_live.users ADD CONSTRAINT users_email_key UNIQUE (email)", ""),
    ("ALTER TABLE pga_live.users SET (fillfactor = 70)", ""),
    ("ALTER TABLE pga_live.users ALTER COLUMN age SET STATISTICS 500", ""),
    ("ALTER TABLE pga_live.orders DISABLE TRIGGER ALL", ""),
    ("ALTER TABLE pga_live.orders SET UNLOGGED", ""),
    ("ALTER TABLE pga_live.users RENAME COLUMN name TO full_name", ""),
    ("CLUSTER pga_live.orders USING orders_pkey", ""),
    ("LOCK TABLE pga_live.users IN SHARE ROW EXCLUSIVE MODE", ""),
    ("UPDATE pga_live.orders SET note = 'y'", ""),
    ("ANALYZE pga_live.users", ""),
    (
        "CREATE TRIGGER t BEFORE UPDATE ON pga_live.users FOR EACH ROW "
        "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        "",
    ),
]


@dataclass(frozen=True)
class Observed:
    lock: str
    rewrite: bool
    scan: bool


def _mode(pg_lock: str) -> str:
    """``ShareRowExclusiveLock`` → ``SHARE ROW EXCLUSIVE``."""
    return " ".join(re.findall(r"[A-Z][a-z]+", pg_lock.removesuffix("Lock"))).upper()


def observe(engine: sa.Engine, statement: str, relation: str, table: str) -> Observed:
    """Run ``statement`` in a transaction and read, from another session, the strongest lock it
    holds on ``relation``; from its own, whether ``table`` got a new file and was scanned."""
    with engine.connect() as session, engine.connect() as watcher:
        pid = session.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        file_of = sa.text("SELECT relfilenode FROM pg_class WHERE oid = CAST(:t AS regclass)")
        scans = sa.text(
            "SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables "
            "WHERE relid = CAST(:t AS regclass)"
        )
        file_before = session.execute(file_of, {"t": table}).scalar()
        scans_before = session.execute(scans, {"t": table}).scalar()
        session.exec_driver_sql(statement)
        modes = watcher.execute(
            sa.text(
                "SELECT mode FROM pg_locks WHERE pid = :pid AND granted "
                "AND relation = CAST(:r AS regclass)"
            ),
            {"pid": pid, "r": relation},
        ).scalars()
        lock = max((_mode(m) for m in modes), key=strength, default="none")
        rewrite = session.execute(file_of, {"t": table}).scalar() != file_before
        scanned = session.execute(scans, {"t": table}).scalar() != scans_before
        session.rollback()
    return Observed(lock, rewrite, scanned)


@pytest.fixture
def live(pg_engine: sa.Engine) -> Iterator[tuple[sa.Engine, Schema]]:
    def setup() -> Schema:
        with pg_engine.connect() as connection:
            connection.exec_driver_sql(LIVE_SETUP)
            connection.commit()
            return reflect_schema(connection, get_dialect("postgresql", "15"), ["pga_live"])

    yield pg_engine, setup()
    with pg_engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS pga_live CASCADE")
        connection.commit()


@pytest.mark.postgresql
def test_declared_lock_rewrite_and_scan_are_what_the_server_does(
    live: tuple[sa.Engine, Schema],
) -> None:
    engine, schema = live
    assert {"SHARE", "SHARE UPDATE EXCLUSIVE", "SHARE ROW EXCLUSIVE", "ACCESS EXCLUSIVE"} <= {
        s.statement.lock for sql, _ in LIVE_CASES for s in run(sql, schema).statements
    }
    wrong = []
    for statement, relation in LIVE_CASES:
        declared = run(statement, schema).statements[0].statement
        table = declared.table
        assert table and table.startswith("pga_live."), statement
        seen = observe(engine, statement, relation or table, table)
        said = Observed(declared.lock, declared.rewrite, declared.scan or declared.rewrite)
        # A rewrite reads the whole table too: a scan is only compared where nothing is rewritten.
        if seen != Observed(said.lock, said.rewrite, seen.scan if said.rewrite else said.scan):
            wrong.append(f"{statement}\n    declared {said}\n    server   {seen}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.postgresql
def test_a_foreign_key_locks_the_referenced_table_too(live: tuple[sa.Engine, Schema]) -> None:
    engine, schema = live
    statement = (
        "ALTER TABLE pga_live.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) "
        "REFERENCES pga_live.users (id) NOT VALID"
    )
    declared = run(statement, schema).statements[0].statement
    assert "also SHARE ROW EXCLUSIVE on pga_live.users" in (declared.note or "")
    seen = observe(engine, statement, "pga_live.users", "pga_live.users")
    assert seen.lock == "SHARE ROW EXCLUSIVE"


def test_lock_modes_are_the_servers_in_order() -> None:
    assert [_mode(m) for m in ("AccessShareLock", "ShareRowExclusiveLock")] == [
        "ACCESS SHARE",
        "SHARE ROW EXCLUSIVE",
    ]
    assert (
        strength("ACCESS EXCLUSIVE") == len(LOCK_MODES) - 1 > strength("SHARE") > strength("none")
    )


def test_a_new_table_in_a_schema_is_keyed_by_its_qualified_name() -> None:
    analysis = run(
        "CREATE TABLE billing.invoices (id bigint);\nCREATE INDEX i ON billing.invoices (id);"
    )
    assert isinstance(analysis.schema.tables["billing.invoices"], Table)
    assert codes(analysis) == set()


def test_a_text_read_again_on_an_equal_schema_gives_a_copy_the_caller_may_change() -> None:
    schema = Schema()
    schema.add_table(Table("pga_again", columns={"id": Column("id", "integer")}))
    sql = "ALTER TABLE pga_again ADD COLUMN note text"
    first = run(sql, schema)
    first.schema.table("pga_again").columns.pop("note")
    first.statements.clear()
    second = run(sql, schema.copy())
    assert "note" in second.schema.tables["pga_again"].columns
    assert [s.statement.sql for s in second.statements] == [sql]


def test_a_text_read_again_keeps_the_app_default_of_the_schema_it_is_read_on() -> None:
    schema = Schema()
    schema.add_table(Table("pga_again", columns={"id": Column("id", "integer")}))
    sql = "ALTER TABLE pga_again ADD COLUMN note text"
    assert not run(sql, schema).schema.tables["pga_again"].columns["id"].app_default
    flagged = schema.copy()
    flagged.table("pga_again").columns["id"].app_default = True
    assert run(sql, flagged).schema.tables["pga_again"].columns["id"].app_default
