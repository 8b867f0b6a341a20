"""The MySQL / MariaDB SQL analyser: verdicts per server and version, rules, and the facts
checked on the real MariaDB 10.11 server.

The MariaDB facts are proven against the server: each ALTER is run with explicit ALGORITHM=
clauses, and the server must accept exactly those the analyser says it can honour. There is no
MySQL server here: the MySQL 8 verdicts follow the manual's "Online DDL Operations" tables.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from zdmigrate.analyze import Analysis, analyze
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation
from zdmigrate.findings import RULES
from zdmigrate.schema import Schema

CORPUS = Path(__file__).parent / "sql_corpus" / "mysql"
SCHEMA = Schema.from_json((CORPUS / "schema.json").read_text())
MYSQL = ("mysql", "8.0.36")
MARIADB = ("mariadb", "10.11")
SERVERS = [MYSQL, MARIADB]


def run(sql: str, server: tuple[str, str], *, external_runner: bool = False) -> Analysis:
    return analyze(sql, get_dialect(*server), SCHEMA, external_runner=external_runner)


def codes(sql: str, server: tuple[str, str], *, external_runner: bool = False) -> set[str]:
    """Codes of the findings not suppressed by an ignore comment."""
    analysis = run(sql, server, external_runner=external_runner)
    found = {f.code for f in analysis.findings}
    for statement in analysis.statements:
        found |= {f.code for f in statement.findings if f.code not in statement.ignores}
    return found


def verdict(sql: str, server: tuple[str, str]) -> str:
    """The ``ALGORITHM=…, LOCK=…`` the analyser says the last statement runs with."""
    note = run(sql, server).statements[-1].statement.note or ""
    return note.split(":")[0]


# --- one failing and one passing case per rule, on both servers ------------------------------

RULE_CASES = {
    "ZD401": ("ALTER TABLE orders MODIFY amount BIGINT", "ALTER TABLE orders MODIFY amount INT"),
    "ZD402": (
        "ALTER TABLE users MODIFY name VARCHAR(40) NOT NULL",
        "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x'",
    ),
    "ZD403": (
        "ALTER TABLE users ADD FULLTEXT INDEX ft_bio (bio)",
        "ALTER TABLE users ADD INDEX ix_bio (bio(20))",
    ),
    "ZD404": (
        "ALTER TABLE orders ADD INDEX ix (amount), LOCK=EXCLUSIVE",
        "ALTER TABLE orders ADD INDEX ix (amount), LOCK=NONE",
    ),
    "ZD405": (
        "ALTER TABLE orders ADD INDEX ix (amount), ALGORITHM=INSTANT",
        "ALTER TABLE orders ADD INDEX ix (amount), ALGORITHM=INPLACE",
    ),
    "ZD407": (
        "ALTER TABLE users RENAME COLUMN nick TO nickname",
        "ALTER TABLE users ADD COLUMN nickname VARCHAR(20)",
    ),
    "ZD408": ("ALTER TABLE users DROP COLUMN bio", "ALTER TABLE users ADD COLUMN bio2 TEXT"),
    "ZD409": ("RENAME TABLE orders TO purchases", "CREATE TABLE purchases (id INT PRIMARY KEY)"),
    "ZD410": ("DROP TABLE orders", "CREATE TABLE t (id INT PRIMARY KEY); DROP TABLE t"),
    "ZD411": ("TRUNCATE TABLE orders", "DELETE FROM orders WHERE id < 1000"),
    "ZD412": ("LOCK TABLES orders READ", "UNLOCK TABLES"),
    "ZD413": ("DELETE FROM orders", "DELETE FROM orders WHERE user_id = 7"),
    "ZD414": (
        "ALTER TABLE invoices MODIFY number VARCHAR(40)",
        "ALTER TABLE invoices ADD COLUMN number VARCHAR(40)",
    ),
    "ZD415": (
        "ALTER TABLE orders ADD COLUMN currency CHAR(3) NOT NULL",
        "ALTER TABLE orders ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'EUR'",
    ),
}


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s[0])
@pytest.mark.parametrize("code", sorted(RULE_CASES))
def test_rule_fires_and_stays_quiet(code: str, server: tuple[str, str]) -> None:
    bad, good = RULE_CASES[code]
    assert code in codes(bad, server)
    assert code not in codes(good, server)


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s[0])
def test_lock_wait_timeout_is_required_of_an_external_runner(server: tuple[str, str]) -> None:
    alter = "ALTER TABLE users ADD COLUMN phone VARCHAR(20)"
    analysis = run(f"SELECT 1;\n{alter}", server, external_runner=True)
    assert [(f.code, f.line) for f in analysis.findings] == [("ZD406", 2)]
    assert "ZD406" not in codes(alter, server)  # zdmigrate run sets the timeout itself
    timed = f"SET SESSION lock_wait_timeout = 5;\n{alter}"
    assert "ZD406" not in codes(timed, server, external_runner=True)
    new_table = "CREATE TABLE t (id INT PRIMARY KEY); ALTER TABLE t ADD COLUMN x INT"
    assert "ZD406" not in codes(new_table, server, external_runner=True)


def test_every_rule_has_a_doc_page() -> None:
    docs = Path(__file__).parent.parent / "docs" / "rules"
    mine = [code for code in RULES if code.startswith("ZD4")]
    assert len(mine) >= 15
    for code in mine:
        page = (docs / f"{code}.md").read_text()
        assert page.startswith(f"# {code} {RULES[code].name}\n")
        for section in ("## Problem", "## Example", "## Safe recipe"):
            assert section in page, (code, section)


# --- verdicts per server and version ---------------------------------------------------------

VERDICTS = [
    # (sql, server, "ALGORITHM/LOCK")
    ("ALTER TABLE users ADD COLUMN phone INT", ("mysql", "8.0.11"), "INPLACE/NONE"),
    ("ALTER TABLE users ADD COLUMN phone INT", ("mysql", "8.0.12"), "INSTANT/NONE"),
    ("ALTER TABLE users ADD phone INT FIRST", ("mysql", "8.0.28"), "INPLACE/NONE"),
    ("ALTER TABLE users ADD phone INT FIRST", ("mysql", "8.0.29"), "INSTANT/NONE"),
    ("ALTER TABLE users ADD phone INT FIRST", MARIADB, "INSTANT/NONE"),
    ("ALTER TABLE users DROP COLUMN bio", ("mysql", "8.0.28"), "INPLACE/NONE"),
    ("ALTER TABLE users DROP COLUMN bio", ("mysql", "8.0.29"), "INSTANT/NONE"),
    ("ALTER TABLE users DROP COLUMN name", MARIADB, "NOCOPY/NONE"),
    (
        "ALTER TABLE users RENAME COLUMN bio TO b",
        ("mysql", "8.0.27"),
        "INPLACE/NONE",
    ),
    ("ALTER TABLE users RENAME COLUMN bio TO b", MYSQL, "INSTANT/NONE"),
    ("ALTER TABLE users MODIFY age SMALLINT AFTER id", MYSQL, "INPLACE/NONE"),
    ("ALTER TABLE users MODIFY age SMALLINT AFTER id", MARIADB, "INSTANT/NONE"),
    ("ALTER TABLE users MODIFY nick VARCHAR(63)", MYSQL, "INPLACE/NONE"),
    ("ALTER TABLE users MODIFY nick VARCHAR(64)", MYSQL, "COPY/SHARED"),
    ("ALTER TABLE users MODIFY nick VARCHAR(64)", MARIADB, "INSTANT/NONE"),
    ("ALTER TABLE users MODIFY email VARCHAR(200) NOT NULL", MYSQL, "INPLACE/NONE"),
    (
        "ALTER TABLE users MODIFY email VARCHAR(200) NOT NULL",
        MARIADB,
        "INSTANT/NONE",
    ),
    (
        "ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL",
        MARIADB,
        "COPY/SHARED",
    ),
    ("ALTER TABLE users MODIFY age INT", MARIADB, "COPY/SHARED"),
    ("ALTER TABLE users MODIFY name VARCHAR(40)", MYSQL, "INSTANT/NONE"),
    ("ALTER TABLE users MODIFY age SMALLINT NOT NULL", MARIADB, "INPLACE/NONE"),
    ("ALTER TABLE users ADD SPATIAL INDEX sp (bio)", MYSQL, "INPLACE/SHARED"),
    (
        "ALTER TABLE users ADD COLUMN n INT AUTO_INCREMENT UNIQUE",
        MARIADB,
        "INPLACE/SHARED",
    ),
    (
        "ALTER TABLE users ADD COLUMN p INT, ADD INDEX ix (p)",
        MARIADB,
        "INPLACE/NONE",
    ),
    (
        "ALTER TABLE users RENAME INDEX ix_users_name TO ix_n",
        MARIADB,
        "INSTANT/NONE",
    ),
    ("ALTER TABLE users RENAME INDEX ix_users_name TO ix_n", MYSQL, "INPLACE/NONE"),
    (
        "ALTER TABLE users ADD COLUMN phone INT, ALGORITHM=INPLACE",
        MYSQL,
        "INPLACE/NONE",
    ),
    (
        "ALTER TABLE users ADD COLUMN phone INT, ALGORITHM=INPLACE",
        MARIADB,
        "INSTANT/NONE",
    ),
    (
        "ALTER TABLE users ADD COLUMN phone INT, ALGORITHM=COPY",
        MARIADB,
        "COPY/SHARED",
    ),
    ("ALTER TABLE users ADD INDEX ix (age), LOCK=SHARED", MYSQL, "INPLACE/SHARED"),
    ("ALTER TABLE users COMMENT = 'people'", MARIADB, "INSTANT/NONE"),
    ("ALTER TABLE users ENGINE=InnoDB ROW_FORMAT=DYNAMIC", MYSQL, "INPLACE/NONE"),
    ("ALTER TABLE users DROP INDEX ix_users_name", MARIADB, "NOCOPY/NONE"),
    (
        "ALTER TABLE users ALTER INDEX ix_users_name INVISIBLE",
        MYSQL,
        "INSTANT/NONE",
    ),
]


@pytest.mark.parametrize(("sql", "server", "expected"), VERDICTS)
def test_verdict(sql: str, server: tuple[str, str], expected: str) -> None:
    algorithm, lock = expected.split("/")
    assert verdict(sql, server) == f"ALGORITHM={algorithm}, LOCK={lock}"


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s[0])
def test_statement_facts_follow_the_verdict(server: tuple[str, str]) -> None:
    copy = run("ALTER TABLE orders MODIFY amount BIGINT", server).statements[0].statement
    assert (copy.lock, copy.blocks, copy.rewrite, copy.online) == (
        "SHARED",
        ("writes",),
        True,
        False,
    )
    instant = run("ALTER TABLE orders ADD COLUMN x INT", server).statements[0].statement
    assert (instant.lock, instant.rewrite, instant.online) == (
        "EXCLUSIVE METADATA (brief)",
        False,
        True,
    )
    unknown = run("ALTER TABLE invoices MODIFY n INT", server).statements[0].statement
    assert (unknown.lock, unknown.blocks) == ("unknown", ("reads", "writes"))


def test_foreign_key_checks_decide_the_algorithm() -> None:
    fk = "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)"
    assert verdict(fk, MYSQL) == "ALGORITHM=COPY, LOCK=SHARED"
    assert verdict(f"SET foreign_key_checks = 0; {fk}", MYSQL) == "ALGORITHM=INPLACE, LOCK=NONE"
    # MariaDB: an index on user_id already exists, so the key is only metadata.
    assert verdict(f"SET @@session.foreign_key_checks=0; {fk}", MARIADB).startswith(
        "ALGORITHM=INSTANT"
    )
    again = f"SET foreign_key_checks = 0; SET foreign_key_checks = 1; {fk}"
    assert verdict(again, MYSQL) == "ALGORITHM=COPY, LOCK=SHARED"


# --- the text and the model ------------------------------------------------------------------


def test_lines_ignores_and_transactions() -> None:
    sql = (
        "-- a migration\n"
        "BEGIN;\n"
        "UPDATE orders SET total = 0 WHERE id = 1;\n"
        "-- zdmigrate: ignore ZD401, ZD402 tiny table\n"
        "# second comment line\n"
        "ALTER TABLE orders\n"
        "  MODIFY amount BIGINT;\n"
        "ALTER TABLE users DROP COLUMN bio; -- zdmigrate: ignore ZD408 unused since 2.3\n"
        "COMMIT;\n"
    )
    statements = run(sql, MYSQL).statements
    assert [s.line for s in statements] == [2, 3, 6, 8, 9]
    assert statements[2].ignores == {"ZD401": "tiny table", "ZD402": "tiny table"}
    assert statements[3].ignores == {"ZD408": "unused since 2.3"}
    assert statements[1].ignores == {}
    # DDL commits the open transaction on MySQL: the ALTER runs outside it.
    assert [s.in_transaction for s in statements] == [False, True, False, False, False]
    assert len(statements) == len(get_dialect(*MYSQL).split_script(sql))


def test_schema_is_carried_through_the_text_and_the_input_is_untouched() -> None:
    sql = (
        "CREATE TABLE invoices (id BIGINT PRIMARY KEY, number VARCHAR(20) CHARACTER SET "
        "latin1 NOT NULL, UNIQUE KEY uq_number (number)) DEFAULT CHARSET=utf8mb4;\n"
        "ALTER TABLE users CHANGE nick handle VARCHAR(30), ADD INDEX ix_handle (handle);\n"
        "RENAME TABLE orders TO purchases;\n"
        "ALTER TABLE purchases DROP COLUMN note;\n"
    )
    analysis = run(sql, MARIADB)
    invoices = analysis.schema.tables["invoices"]
    assert invoices.columns["number"].type == "VARCHAR(20) CHARACTER SET latin1"
    assert not invoices.columns["number"].nullable
    assert list(invoices.uniques) == ["uq_number"]
    users = analysis.schema.tables["users"]
    assert users.columns["handle"].type == "VARCHAR(30)" and "nick" not in users.columns
    assert users.indexes["ix_handle"].columns == ["handle"]
    assert "orders" not in analysis.schema.tables
    assert "note" not in analysis.schema.tables["purchases"].columns
    assert "nick" in SCHEMA.tables["users"].columns and "orders" in SCHEMA.tables


def test_a_later_statement_sees_an_earlier_type() -> None:
    sql = "ALTER TABLE users MODIFY nick VARCHAR(60);\nALTER TABLE users MODIFY nick VARCHAR(64);"
    assert verdict(sql, MYSQL) == "ALGORITHM=COPY, LOCK=SHARED"
    assert verdict(sql, MARIADB) == "ALGORITHM=COPY, LOCK=SHARED"  # 240 bytes > 127


def test_unknown_tables_are_analysed_without_failing() -> None:
    sql = "ALTER TABLE nowhere ADD COLUMN a INT, ADD INDEX (a), ALTER COLUMN b SET DEFAULT 1"
    assert verdict(sql, MYSQL) == "ALGORITHM=INPLACE, LOCK=NONE"
    assert codes("ALTER TABLE nowhere DROP COLUMN a", MYSQL) == {"ZD408", "ZD414"}


@pytest.mark.parametrize(
    ("sql", "line"),
    [
        ("SELECT 1;\nALTER TABLE users FROBNICATE;", 2),
        ("ALTER TABLE users ADD COLUMN;", 1),
        ("SELECT 1;\n\nALTER TABLE users MODIFY nick VARCHAR(;", 3),
        ("ALTER TABLE users ADD INDEX ix (a), ALGORITHM=FAST;", 1),
        ("SELEC 1;", 1),
    ],
)
def test_unreadable_sql_names_the_line(sql: str, line: int) -> None:
    with pytest.raises(InvalidOperation, match=f"^line {line}: "):
        run(sql, MYSQL)


def test_a_delimiter_command_is_named_as_the_mysql_clients() -> None:
    sql = "SELECT 1;\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END //\nDELIMITER ;"
    with pytest.raises(InvalidOperation, match=r"^line 2: DELIMITER is a command of the mysql"):
        run(sql, MYSQL)


def test_mariadb_syntax_is_refused_on_mysql() -> None:
    with pytest.raises(InvalidOperation, match="MariaDB"):
        run("SET STATEMENT lock_wait_timeout=5 FOR ALTER TABLE users ADD x INT", MYSQL)


# --- the corpus ------------------------------------------------------------------------------


def corpus_cases() -> list[Path]:
    return sorted(CORPUS.glob("*.sql"))


def test_the_corpus_is_large_enough() -> None:
    assert len(corpus_cases()) >= 30


@pytest.mark.parametrize("path", corpus_cases(), ids=lambda p: p.stem)
def test_corpus(path: Path) -> None:
    lines = path.read_text().splitlines()
    expect = lines[0].removeprefix("-- expect:").strip()
    name, version = lines[1].removeprefix("-- server:").split()
    external = "-- runner: external" in lines[:4]
    expected = set() if expect == "ok" else set(expect.split(","))
    assert codes(path.read_text(), (name, version), external_runner=external) == expected


# --- the facts, proven on the real MariaDB server ----------------------------------------------

LIVE_TABLE = """CREATE TABLE mya_live (
    id INT PRIMARY KEY,
    a INT,
    nick VARCHAR(20),
    code VARCHAR(200) CHARACTER SET latin1,
    state VARCHAR(10) CHARACTER SET utf8mb3,
    n INT NOT NULL DEFAULT 0,
    kind ENUM('x', 'y'),
    s SMALLINT,
    body TEXT,
    p INT,
    KEY ix_a (a)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""

LIVE_ALTERS = [
    "ADD COLUMN z INT",
    "ADD COLUMN z INT AFTER id",
    "ADD COLUMN z INT AS (a + 1) STORED",
    "DROP COLUMN p",
    "DROP COLUMN a",
    "RENAME COLUMN p TO q",
    "MODIFY p INT FIRST",
    "ALTER COLUMN p SET DEFAULT 5",
    "MODIFY nick VARCHAR(64)",
    "MODIFY code VARCHAR(256) CHARACTER SET latin1",
    "MODIFY nick VARCHAR(10)",
    "MODIFY state VARCHAR(10) CHARACTER SET utf8mb4",
    "MODIFY nick VARCHAR(20) COLLATE utf8mb4_bin",
    "MODIFY code VARCHAR(200) CHARACTER SET latin1 NOT NULL",
    "MODIFY s INT",
    "MODIFY s SMALLINT UNSIGNED",
    "MODIFY p INT NOT NULL",
    "MODIFY n INT NULL DEFAULT 0",
    "MODIFY kind ENUM('x', 'y', 'z')",
    "MODIFY kind ENUM('z', 'x', 'y')",
    "ADD INDEX ix_nick (nick)",
    "ADD FULLTEXT INDEX ft_body (body)",
    "RENAME INDEX ix_a TO ix_a2",
    "DROP PRIMARY KEY",
    "DROP PRIMARY KEY, ADD PRIMARY KEY (id, n)",
    "ADD CONSTRAINT ck_p CHECK (p > 0)",
    "FORCE",
    "ADD COLUMN z INT, ADD INDEX ix_z (z)",
]
ORDER = ["INSTANT", "NOCOPY", "INPLACE", "COPY"]


@pytest.fixture(scope="module")
def live(mysql_engine: sa.Engine) -> tuple[sa.Engine, Dialect, Schema]:
    from tests.conftest import server_dialect

    dialect = server_dialect(mysql_engine)
    if dialect.name != "mariadb":
        pytest.skip("the facts proven here are MariaDB's")
    # The model of the live table, read from the same CREATE TABLE the server runs.
    schema = analyze(LIVE_TABLE, dialect, Schema(), external_runner=False).schema
    return mysql_engine, dialect, schema


@pytest.mark.parametrize("alter", LIVE_ALTERS)
def test_mariadb_accepts_exactly_the_algorithms_the_analyser_names(
    live: tuple[sa.Engine, Dialect, Schema], alter: str
) -> None:
    engine, dialect, schema = live
    note = analyze(f"ALTER TABLE mya_live {alter}", dialect, schema, external_runner=False)
    algorithm = (note.statements[0].statement.note or "").split(",")[0].removeprefix("ALGORITHM=")
    assert algorithm in ORDER, note.statements[0].statement.note
    for asked in ORDER[:-1]:
        accepted = _try(engine, f"ALTER TABLE mya_live {alter}, ALGORITHM={asked}")
        # MariaDB takes ALGORITHM=X as the dearest algorithm acceptable.
        expected = ORDER.index(asked) >= ORDER.index(algorithm)
        assert accepted == expected, f"ALGORITHM={asked} for {alter!r} (analyser: {algorithm})"


def _try(engine: sa.Engine, alter: str) -> bool:
    """Run ``alter`` on a fresh mya_live with two rows: True if the server accepts it, False if
    it refuses its ALGORITHM= (errors 1845, 1846); any other error fails the test."""
    with engine.connect() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS mya_live")
        connection.exec_driver_sql(LIVE_TABLE)
        connection.exec_driver_sql(
            "INSERT INTO mya_live (id, a, nick, code, state, n, kind, s, p) VALUES "
            "(1, 1, 'a', 'b', 'c', 1, 'x', 1, 1), (2, 2, 'a', 'b', 'c', 2, 'y', 2, 2)"
        )
        try:
            connection.exec_driver_sql(alter)
        except sa.exc.DBAPIError as exc:
            if exc.orig is None or exc.orig.args[0] not in (1845, 1846):
                raise
            return False
        finally:
            connection.exec_driver_sql("DROP TABLE IF EXISTS mya_live")
    return True
