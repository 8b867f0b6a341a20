from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.dialects.script import split_statements
from zdmigrate.errors import InvalidOperation
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.run_sql import RunSQL
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "rs_items",
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("legacy", String(20)),
    )
]

old = sa.Table(
    "rs_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("legacy", String(20)),
)
new = sa.Table(
    "rs_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("tag", String(20)),
)

# A trigger fills `tag` for the old app, which does not know it: a body with its own semicolons.
TRIGGER = {
    "postgresql": (
        "CREATE FUNCTION rs_fill_tag() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN IF NEW.tag IS NULL THEN NEW.tag := 'by-trigger'; END IF; RETURN NEW; END $$;\n"
        "CREATE TRIGGER rs_fill_tag BEFORE INSERT ON rs_items\n"
        "    FOR EACH ROW EXECUTE FUNCTION rs_fill_tag();",
        "DROP TRIGGER rs_fill_tag ON rs_items; DROP FUNCTION rs_fill_tag()",
    ),
    "mysql": (
        "CREATE TRIGGER rs_fill_tag BEFORE INSERT ON rs_items FOR EACH ROW\n"
        "BEGIN\n  IF NEW.tag IS NULL THEN SET NEW.tag = 'by-trigger'; END IF;\nEND;",
        "DROP TRIGGER rs_fill_tag",
    ),
}
# Two index builds in one script: CONCURRENTLY must not run inside a transaction block.
INDEXES = {
    "postgresql": (
        "CREATE INDEX CONCURRENTLY rs_items_name ON rs_items (name);\n"
        "CREATE INDEX CONCURRENTLY rs_items_tag ON rs_items (tag);",
        "DROP INDEX CONCURRENTLY rs_items_tag; DROP INDEX CONCURRENTLY rs_items_name",
        "SHARE UPDATE EXCLUSIVE",
    ),
    "mysql": (
        "CREATE INDEX rs_items_name ON rs_items (name) ALGORITHM=INPLACE LOCK=NONE;\n"
        "CREATE INDEX rs_items_tag ON rs_items (tag) ALGORITHM=INPLACE LOCK=NONE;",
        "DROP INDEX rs_items_tag ON rs_items; DROP INDEX rs_items_name ON rs_items",
        "EXCLUSIVE METADATA (brief)",
    ),
}


def operations(server: str) -> list[ops.Operation]:
    trigger, untrigger = TRIGGER[server]
    indexes, unindex, index_lock = INDEXES[server]
    return [
        RunSQL(
            "ALTER TABLE rs_items ADD COLUMN tag VARCHAR(20);\n"
            "-- a literal with a percent sign reaches the server as written\n"
            "UPDATE rs_items SET tag = '10%' WHERE name LIKE 'seed%';",
            reverse="ALTER TABLE rs_items DROP COLUMN tag",
        ),
        RunSQL(trigger, reverse=untrigger),
        RunSQL(indexes, reverse=unindex, lock=index_lock, transactional=False),
        RunSQL(
            "UPDATE rs_items SET tag = 'filled' WHERE tag IS NULL",
            phase="backfill",
            reverse="UPDATE rs_items SET tag = NULL WHERE tag = 'filled'",
        ),
        RunSQL("ALTER TABLE rs_items DROP COLUMN legacy", phase="contract"),
    ]


def tag_of(connection: sa.Connection, name: str) -> object:
    return connection.execute(sa.select(new.c.tag).where(new.c.name == name)).scalar_one()


def seed(connection: sa.Connection) -> None:
    connection.execute(old.insert(), [{"name": f"seed{i}", "legacy": "l"} for i in range(10)])


def check(connection: sa.Connection, phase: str) -> None:
    connection.execute(old.insert().values(name=f"old-{phase}", legacy="l"))
    connection.execute(new.insert().values(name=f"new-{phase}", tag="mine"))
    assert tag_of(connection, f"old-{phase}") == "by-trigger"
    assert tag_of(connection, f"new-{phase}") == "mine"
    assert tag_of(connection, "seed3") == "10%"
    names = {i["name"] for i in sa.inspect(connection).get_indexes("rs_items")}
    assert {"rs_items_name", "rs_items_tag"} <= names


def after_rollback(connection: sa.Connection, undone: str) -> None:
    fails(connection, sa.select(new.c.tag))
    assert sa.inspect(connection).get_indexes("rs_items") == []


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(name="after", tag="t"))
    assert tag_of(connection, "after") == "t"
    fails(connection, old.insert().values(name="late", legacy="l"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["rs_items"],
            setup=SETUP,
            operations=operations(engine.dialect.name),
            check=check,
            after=after,
            seed=seed,
            after_rollback=after_rollback,
            extra_cleanup=(
                ["DROP FUNCTION IF EXISTS rs_fill_tag() CASCADE"]
                if engine.dialect.name == "postgresql"
                else []
            ),
        ),
    )


def test_steps_and_lock_facts() -> None:
    steps = compile_ops("postgresql", SETUP, operations("postgresql")).steps
    expand = [s.statement for s in steps[Phase.EXPAND]]
    # One statement per step: 2 + 2 + 2; a comment stays with the statement after it.
    assert len(expand) == 6
    assert expand[1].sql.endswith("UPDATE rs_items SET tag = '10%' WHERE name LIKE 'seed%'")
    # Undeclared locks are read off the SQL by the analyser; a declared one is taken as given.
    assert (expand[0].lock, expand[0].blocks) == ("ACCESS EXCLUSIVE", ("reads", "writes"))
    assert expand[1].lock == "ROW EXCLUSIVE"
    assert expand[4].lock == "SHARE UPDATE EXCLUSIVE" and expand[4].note is None
    assert not expand[4].transactional and expand[0].transactional
    assert [s.sql for s in steps[Phase.BACKFILL]] == [
        "UPDATE rs_items SET tag = 'filled' WHERE tag IS NULL"
    ]
    assert [s.sql for s in steps[Phase.CONTRACT]] == ["ALTER TABLE rs_items DROP COLUMN legacy"]
    rollback = [(s.sql, s.undoes) for s in steps[Phase.ROLLBACK]]
    assert rollback == [
        ("UPDATE rs_items SET tag = NULL WHERE tag = 'filled'", Phase.BACKFILL),
        ("DROP INDEX CONCURRENTLY rs_items_tag", Phase.EXPAND),
        ("DROP INDEX CONCURRENTLY rs_items_name", Phase.EXPAND),
        ("DROP TRIGGER rs_fill_tag ON rs_items", Phase.EXPAND),
        ("DROP FUNCTION rs_fill_tag()", Phase.EXPAND),
        ("ALTER TABLE rs_items DROP COLUMN tag", Phase.EXPAND),
    ]


def test_declared_lock_says_what_it_blocks() -> None:
    d = get_dialect("postgresql")
    [statement] = RunSQL("LOCK TABLE t", lock="ACCESS EXCLUSIVE").expand(Schema(), d)
    assert statement.blocks == ("reads", "writes")


@pytest.mark.parametrize("server", ["postgresql", "mysql"])
def test_apply_carries_what_the_sql_makes_into_the_model(server: str) -> None:
    compiled = compile_ops(server, SETUP, operations(server))
    before, after = compiled.before.table("rs_items"), compiled.after.table("rs_items")
    assert set(after.columns) == set(before.columns) - {"legacy"} | {"tag"}
    assert after.column("tag").nullable
    assert {"rs_items_name", "rs_items_tag"} <= set(after.indexes)


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (RunSQL("SELECT 1", phase="later"), "phase 'later'"),
        (RunSQL(" ; -- nothing\n"), "no statement"),
        (RunSQL("DROP TABLE t", phase="contract", reverse="CREATE TABLE t ()"), "contract"),
    ],
)
def test_bad_input(operation: RunSQL, message: str) -> None:
    with pytest.raises(InvalidOperation, match=message):
        compile_migration(Migration("m", [operation]), Schema(), get_dialect("postgresql"))


# --- the script splitter -----------------------------------------------------------------------

PG = {"dollar_quotes": True}
MY = {"backslash_escapes": True, "hash_comments": True}


@pytest.mark.parametrize(
    ("script", "syntax", "statements"),
    [
        ("SELECT 1", PG, ["SELECT 1"]),
        ("a; b;\n", PG, ["a", "b"]),
        ("SELECT ';' ; SELECT \"a;b\"", PG, ["SELECT ';'", 'SELECT "a;b"']),
        ("SELECT 'it''s;'; SELECT 2", PG, ["SELECT 'it''s;'", "SELECT 2"]),
        ("-- x; y\nSELECT 1; /* ; */ SELECT 2", PG, ["-- x; y\nSELECT 1", "/* ; */ SELECT 2"]),
        (" ; -- only a comment\n;", MY, []),
        ("SELECT $$a;b$$; SELECT $f$ ; $$ ; $f$", PG, ["SELECT $$a;b$$", "SELECT $f$ ; $$ ; $f$"]),
        ("SELECT a$b$ FROM t; SELECT 2", PG, ["SELECT a$b$ FROM t", "SELECT 2"]),
        # A backslash escapes in MySQL strings and in PostgreSQL's E'' strings only.
        ("SELECT 'a\\';'; SELECT 2", MY, ["SELECT 'a\\';'", "SELECT 2"]),
        ("SELECT E'a\\';'; SELECT 2", PG, ["SELECT E'a\\';'", "SELECT 2"]),
        ("SELECT 'c:\\'; SELECT 2", PG, ["SELECT 'c:\\'", "SELECT 2"]),
        (
            "SELECT `a;b`; SELECT 1 # c;d\n; SELECT 2",
            MY,
            ["SELECT `a;b`", "SELECT 1 # c;d", "SELECT 2"],
        ),
        ("SELECT 5 # 3; SELECT 2", PG, ["SELECT 5 # 3", "SELECT 2"]),
        # Compound statements keep their inner semicolons; CASE … END and END IF do not close
        # the BEGIN, END CASE does close a CASE.
        (
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n"
            "  IF NEW.a IS NULL THEN SET NEW.a = CASE WHEN 1 THEN 2 END; END IF;\n"
            "  CASE NEW.b WHEN 1 THEN SET NEW.c = 1; ELSE BEGIN END; END CASE;\n"
            "END; SELECT 1",
            MY,
            [
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n"
                "  IF NEW.a IS NULL THEN SET NEW.a = CASE WHEN 1 THEN 2 END; END IF;\n"
                "  CASE NEW.b WHEN 1 THEN SET NEW.c = 1; ELSE BEGIN END; END CASE;\n"
                "END",
                "SELECT 1",
            ],
        ),
        (
            "CREATE PROCEDURE p() lbl: BEGIN WHILE 1 DO LEAVE lbl; END WHILE; END lbl; CALL p()",
            MY,
            [
                "CREATE PROCEDURE p() lbl: BEGIN WHILE 1 DO LEAVE lbl; END WHILE; END lbl",
                "CALL p()",
            ],
        ),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE SQL BEGIN ATOMIC SELECT 1; END; SELECT f()",
            PG,
            [
                "CREATE FUNCTION f() RETURNS int LANGUAGE SQL BEGIN ATOMIC SELECT 1; END",
                "SELECT f()",
            ],
        ),
        ("BEGIN; SELECT 1; COMMIT", MY, ["BEGIN", "SELECT 1", "COMMIT"]),
        ("BEGIN WORK; SELECT 1", PG, ["BEGIN WORK", "SELECT 1"]),
        ("SELECT 'unterminated; SELECT 2", PG, ["SELECT 'unterminated; SELECT 2"]),
    ],
)
def test_split_statements(script: str, syntax: dict[str, bool], statements: list[str]) -> None:
    assert split_statements(script, **syntax) == statements


def test_dialects_split_by_their_own_syntax() -> None:
    script = "SELECT 'a\\'; SELECT 2 # x; y\n"
    assert get_dialect("postgresql").split_script(script) == ["SELECT 'a\\'", "SELECT 2 # x", "y"]
    assert get_dialect("mariadb").split_script(script) == ["SELECT 'a\\'; SELECT 2 # x; y"]
