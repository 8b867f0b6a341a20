"""Phase states: what expand, backfill and contract each leave, as the apps meet them.

Three kinds of proof. Without a server: for every operation's lifecycle case and every example
release, expand → backfill → contract chained ends where ``apply`` does, and the states in
between hold what each recipe promises. On the servers: after each phase, the schema reflected
from a real database equals the modelled state (columns, nullability, types, defaults, indexes,
constraints and their validation; triggers by name) — the live check is what makes the model
true. And releases whose migrations cannot run phase by phase are refused, naming why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Enum, ForeignKey, Index, Integer, Numeric, String, Text

from tests.lifecycle import Lifecycle, compile_ops, set_up, state
from tests.ops import test_add_check_constraint as add_check_constraint_case
from tests.ops import test_add_column as add_column_case
from tests.ops import test_add_enum_value as add_enum_value_case
from tests.ops import test_add_foreign_key as add_foreign_key_case
from tests.ops import test_add_unique_constraint as add_unique_constraint_case
from tests.ops import test_alter_table as alter_table_case
from tests.ops import test_backfill as backfill_case
from tests.ops import test_change_column_type as change_column_type_case
from tests.ops import test_create_enum as create_enum_case
from tests.ops import test_create_index as create_index_case
from tests.ops import test_create_table as create_table_case
from tests.ops import test_drop_column as drop_column_case
from tests.ops import test_drop_constraint as drop_constraint_case
from tests.ops import test_drop_default as drop_default_case
from tests.ops import test_drop_index as drop_index_case
from tests.ops import test_drop_not_null as drop_not_null_case
from tests.ops import test_drop_table as drop_table_case
from tests.ops import test_in_a_schema as in_a_schema_case
from tests.ops import test_rename_column as rename_column_case
from tests.ops import test_rename_table as rename_table_case
from tests.ops import test_run_sql as run_sql_case
from tests.ops import test_set_default as set_default_case
from tests.ops import test_set_not_null as set_not_null_case
from tests.ops import test_transform_column as transform_column_case
from tests.test_examples import release_of, releases
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation
from zdmigrate.migration import CompiledMigration, Migration, compile_migration
from zdmigrate.ops.base import OPERATIONS, Operation
from zdmigrate.plan.states import phase_states
from zdmigrate.reflect import list_views
from zdmigrate.run.executor import run_phase
from zdmigrate.schema import Schema, Table, Trigger
from zdmigrate.steps import RUN_ORDER, Phase

DIALECTS = ("postgresql", "mariadb")

Ops = Sequence[Operation]


def lifecycle_cases(server: str) -> dict[str, tuple[Ops, Ops]]:
    """The setup and operations of each tests/ops lifecycle that runs on ``server``
    (``postgresql`` or ``mysql``, as SQLAlchemy names the MariaDB server too)."""
    change = change_column_type_case
    cases: dict[str, tuple[Ops, Ops]] = {
        "add_check_constraint": (
            add_check_constraint_case.SETUP,
            [add_check_constraint_case.OPERATION],
        ),
        "add_column": (add_column_case.SETUP, add_column_case.OPERATIONS),
        "add_foreign_key": (add_foreign_key_case.SETUP, [add_foreign_key_case.OPERATION]),
        "add_unique_constraint": (
            add_unique_constraint_case.SETUP,
            [add_unique_constraint_case.OPERATION],
        ),
        "backfill": (backfill_case.SETUP, backfill_case.OPERATIONS),
        "change_column_type": (
            change.ORDERS,
            [change.PG_CHANGE if server == "postgresql" else change.MY_CHANGE],
        ),
        "create_index": (
            create_index_case.SETUP,
            create_index_case.operations(
                get_dialect("postgresql" if server == "postgresql" else "mariadb")
            ),
        ),
        "create_table": (create_table_case.SETUP, [create_table_case.ORDERS]),
        "drop_column": (drop_column_case.SETUP, drop_column_case.OPERATIONS),
        "drop_constraint": (drop_constraint_case.SETUP, drop_constraint_case.OPERATIONS),
        "drop_default": (drop_default_case.SETUP, drop_default_case.OPERATIONS),
        "drop_index": (drop_index_case.SETUP, drop_index_case.OPERATIONS),
        "drop_not_null": (drop_not_null_case.SETUP, drop_not_null_case.OPERATIONS),
        "drop_table": (drop_table_case.SETUP, [ops.DropTable("dt_audit")]),
        "rename_column": (rename_column_case.SETUP, [rename_column_case.RENAME]),
        "rename_table": (rename_table_case.SETUP, [rename_table_case.RENAME]),
        "run_sql": (run_sql_case.SETUP, run_sql_case.operations(server)),
        "set_default": (set_default_case.SETUP, set_default_case.OPERATIONS),
        "set_not_null": (set_not_null_case.SETUP, set_not_null_case.OPERATIONS),
        "transform_column": (transform_column_case.SETUP, [transform_column_case.split(server)]),
    }
    if server == "mysql":
        cases["alter_table"] = (alter_table_case.SETUP, [alter_table_case.CHANGE])
        cases["change_column_type_inline_enum"] = (
            change.TICKETS,
            [
                ops.ChangeColumnType(
                    "ct_tickets",
                    "status",
                    Enum("a", "b", "c"),
                    up="status",
                    down="IF(status = 'c', 'b', status)",
                )
            ],
        )
    if server == "postgresql":
        cases["add_enum_value"] = (add_enum_value_case.SETUP, [add_enum_value_case.OPERATION])
        cases["create_enum"] = (create_enum_case.SETUP, create_enum_case.OPERATIONS)
        cases["change_column_type_to_text"] = (
            change.CODES,
            [ops.ChangeColumnType("ct_codes", "code", Text(), "code::text", "code::varchar(20)")],
        )
        for name, case in in_a_schema_case.CASES.items():
            cases[f"in_a_schema_{name}"] = (
                [*case.setup(None), *case.setup(in_a_schema_case.S)],
                case.operations,
            )
    return cases


def chain(
    compiled: Sequence[CompiledMigration], dialect: Dialect
) -> dict[tuple[str, Phase], Schema]:
    """Each (migration id, phase) state of a release run phase by phase."""
    return {
        (migration.migration.id, phase): schema
        for migration, phase, schema in phase_states(compiled, compiled[0].before, dialect)
    }


def server_of(dialect: str) -> str:
    return "postgresql" if dialect == "postgresql" else "mysql"


def chain_cases() -> list[Any]:
    return [
        pytest.param(dialect, name, id=f"{dialect}-{name}")
        for dialect in DIALECTS
        for name in lifecycle_cases(server_of(dialect))
    ]


# --- without a server: the chain ends where apply does ---------------------------------------


def test_the_cases_use_every_operation() -> None:
    used = {
        type(operation).__name__
        for server in ("postgresql", "mysql")
        for _, operations in lifecycle_cases(server).values()
        for operation in operations
    }
    assert sorted(set(OPERATIONS) - used) == []


@pytest.mark.parametrize(("dialect_name", "case"), chain_cases())
def test_expand_backfill_contract_end_where_apply_does(dialect_name: str, case: str) -> None:
    dialect = get_dialect(dialect_name)
    setup, operations = lifecycle_cases(server_of(dialect_name))[case]
    compiled = compile_ops(dialect, setup, operations)
    states = chain([compiled], dialect)
    assert list(states) == [("m", phase) for phase in RUN_ORDER]
    assert states[("m", Phase.CONTRACT)].to_dict() == compiled.after.to_dict()
    # Each operation alone, from the schema the ones before it made, lands where apply does.
    before = compiled.before.copy()
    for operation in operations:
        after = before.copy()
        operation.apply(after, dialect)
        for phase in RUN_ORDER:
            operation.apply_phase(before, dialect, phase)
        assert before.to_dict() == after.to_dict(), type(operation).__name__


def example_cases() -> list[Any]:
    return [
        pytest.param(name, release_of(version), id=f"{name}-{release_of(version)}")
        for name in ("postgresql", "mysql", "mariadb")
        for version, _ in releases(get_dialect(name))
    ]


@pytest.mark.parametrize(("dialect_name", "release"), example_cases())
def test_each_example_release_runs_phase_by_phase(dialect_name: str, release: str) -> None:
    dialect = get_dialect(dialect_name)
    schema = Schema()
    for version, migrations in releases(dialect):
        compiled = []
        for migration in migrations:
            compiled.append(compile_migration(migration, schema, dialect))
            schema = compiled[-1].after
        if release_of(version) != release:
            continue
        states = chain(compiled, dialect)
        assert len(states) == 3 * len(compiled)
        assert states[(compiled[-1].migration.id, Phase.CONTRACT)].to_dict() == schema.to_dict()
        for one in compiled:  # each migration alone, too
            alone = chain([one], dialect)
            assert alone[(one.migration.id, Phase.CONTRACT)].to_dict() == one.after.to_dict()
        return
    pytest.fail(f"no release {release}")


# --- without a server: the states in between --------------------------------------------------

USERS = ops.CreateTable(
    "st_users",
    Column("id", Integer, primary_key=True),
    Column("email", String(200), nullable=False, unique=True),
    Column("nickname", String(50), server_default="anon"),
    Column("bio", String(100), nullable=False),
    Index("ix_st_users_nickname", "nickname"),
)


def states_of(dialect_name: str, setup: Ops, operations: Ops) -> dict[Phase, Schema]:
    dialect = get_dialect(dialect_name)
    compiled = compile_ops(dialect, setup, operations)
    return {phase: schema for (_, phase), schema in chain([compiled], dialect).items()}


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_rename_column_keeps_both_until_contract(dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    rename = ops.RenameColumn("st_users", "nickname", "handle")
    states = states_of(
        dialect_name, [USERS], [rename, ops.RenameColumn("st_users", "email", "mail")]
    )
    s1, s2 = states[Phase.EXPAND].table("st_users"), states[Phase.BACKFILL].table("st_users")
    for table in (s1, s2):
        assert table.column("handle").nullable and table.column("handle").default is None
        # The old column's default moved into the trigger, which fills either side from the other.
        assert table.column("nickname").default is None
        assert table.column("email").nullable is False and table.column("mail").nullable
    # Named as the server names them: MySQL and MariaDB have one trigger per event.
    events = {"postgresql": [""], "mariadb": ["_i", "_u"]}[dialect_name]
    names = [
        f"zdm_st_users_rename_{old}{event}" for old in ("nickname", "email") for event in events
    ]
    assert sorted(s1.triggers) == sorted(s2.triggers) == sorted(names)
    for event in events:
        trigger = s1.triggers[f"zdm_st_users_rename_nickname{event}"]
        assert trigger.fills == ["handle", "nickname"]
        assert trigger.defaults == {"nickname": "'anon'", "handle": "'anon'"}
    # Backfill builds the twins of the old columns' indexes and unique constraints.
    assert "zdm_ix_st_users_nickname" in s2.indexes and "zdm_ix_st_users_nickname" not in s1.indexes
    twin = dialect.object_name(next(iter(USERS.model(dialect).uniques)))
    assert twin in (s2.uniques if dialect.caps.unique_indexes_are_constraints else s2.indexes)
    nn = "zdm_st_users_mail_nn"
    if dialect.caps.not_valid_constraints:
        assert nn not in s1.checks and s2.checks[nn].validated
    else:
        assert nn not in s2.checks
    s3 = states[Phase.CONTRACT].table("st_users")
    assert (
        s3.triggers == {}
        and "nickname" not in s3.columns
        and s3.column("handle").default == "'anon'"
    )


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_change_column_type_swaps_at_the_end_of_backfill(dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    setup = [
        ops.CreateTable(
            "st_prices",
            Column("id", Integer, primary_key=True),
            Column("amount", Integer, nullable=False, server_default="0"),
            Index("ix_st_prices_amount", "amount"),
        )
    ]
    change = ops.ChangeColumnType(
        "st_prices", "amount", Numeric(12, 2), "CAST(amount AS DECIMAL(12, 2))", "ROUND(amount)"
    )
    states = states_of(dialect_name, setup, [change])
    new_type = change.new_type(dialect)
    s1 = states[Phase.EXPAND].table("st_prices")
    assert s1.column("amount").type != new_type and s1.column("zdm_amount_new").type == new_type
    assert {t.name: t.fills for t in s1.triggers.values()} == {
        name: ["zdm_amount_new"] for name in s1.triggers
    }
    s2 = states[Phase.BACKFILL].table("st_prices")
    # Both apps now read and write the new type under the column's name.
    amount = s2.column("amount")
    zero = dialect.normalize_default("0", new_type)  # MySQL spells it 0.00 for the new type
    assert (amount.type, amount.nullable, amount.default) == (new_type, True, zero)
    retired = s2.column("zdm_amount_old")
    assert (retired.nullable, retired.default) == (False, None)
    assert all(t.fills == ["zdm_amount_old"] for t in s2.triggers.values())
    assert s2.indexes["ix_st_prices_amount"].columns == ["zdm_amount_old"]
    assert s2.indexes["zdm_ix_st_prices_amount"].columns == ["amount"]
    if dialect.caps.not_valid_constraints:
        assert s2.checks["zdm_st_prices_amount_nn"].validated is False
    s3 = states[Phase.CONTRACT].table("st_prices")
    assert list(s3.indexes) == ["ix_st_prices_amount"] and s3.column("amount").nullable is False


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_set_not_null_transform_and_drop_column(dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    operations = [
        ops.SetNotNull("st_users", "nickname", fill="'anon'"),
        ops.DropColumn("st_users", "bio"),
        ops.TransformColumn(
            "st_users",
            add=[Column("domain", String(100), nullable=False, server_default="x")],
            up={"domain": "email"},
            down={"email": "domain"},
        ),
    ]
    states = states_of(dialect_name, [USERS], operations)
    s1, s2 = states[Phase.EXPAND].table("st_users"), states[Phase.BACKFILL].table("st_users")
    for table in (s1, s2):
        assert table.column("nickname").nullable and table.column("bio").nullable
        assert table.column("domain").nullable and table.column("domain").default is None
    fills = sorted(f for t in s1.triggers.values() for f in t.fills)
    per_event = {"postgresql": 1, "mariadb": 2}[dialect_name]
    assert fills == sorted(["nickname", "domain", "email"] * per_event)
    if dialect.caps.not_valid_constraints:
        assert s1.checks["zdm_st_users_nickname_nn"].validated is False
        assert s2.checks["zdm_st_users_nickname_nn"].validated is True
        # The transform's check comes at the end of backfill, once every row is filled.
        assert "zdm_st_users_domain_nn" not in s1.checks
        assert s2.checks["zdm_st_users_domain_nn"].validated is False
    s3 = states[Phase.CONTRACT].table("st_users")
    assert s3.triggers == {} and s3.checks == {} and "bio" not in s3.columns
    assert s3.column("domain").default == "'x'"


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_constraints_are_checked_for_new_writes_from_expand(dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    operations = [
        ops.AddForeignKey("fk_st_users_self", "st_users", ["id"], "st_users", ["id"]),
        # After the foreign key, which a shadow-table copy refuses: MySQL's check is added by
        # the blocking ALTER, checked from expand.
        ops.AddCheckConstraint("ck_st_users_bio", "st_users", "bio <> ''"),
        ops.AddUniqueConstraint("uq_st_users_bio", "st_users", ["bio"]),
        ops.SetDefault("st_users", "bio", "none"),
        ops.DropDefault("st_users", "nickname"),
        ops.DropNotNull("st_users", "email"),
        ops.DropIndex("ix_st_users_nickname", "st_users"),
    ]
    states = states_of(dialect_name, [USERS], operations)
    s1, s2 = states[Phase.EXPAND].table("st_users"), states[Phase.BACKFILL].table("st_users")
    # NOT VALID where the server has it; a MySQL check is checked when it is added.
    assert s1.checks["ck_st_users_bio"].validated is not dialect.caps.not_valid_constraints
    assert s1.foreign_keys["fk_st_users_self"].validated is False
    assert s2.checks["ck_st_users_bio"].validated and s2.foreign_keys["fk_st_users_self"].validated
    # Additions land in expand, removals in contract.
    assert "uq_st_users_bio" in s1.uniques and s1.column("bio").default == "'none'"
    assert s1.column("email").nullable
    assert s2.column("nickname").default == "'anon'" and "ix_st_users_nickname" in s2.indexes
    s3 = states[Phase.CONTRACT].table("st_users")
    assert s3.column("nickname").default is None and "ix_st_users_nickname" not in s3.indexes


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_rename_table_leaves_a_view_for_the_old_app(dialect_name: str) -> None:
    notes = ops.CreateTable(
        "st_notes",
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("st_users.id", name="fk_st_notes_user")),
    )
    states = states_of(dialect_name, [USERS, notes], [ops.RenameTable("st_users", "st_people")])
    s1 = states[Phase.EXPAND]
    assert "st_users" not in s1.tables and s1.views["st_users"].table == "st_people"
    assert s1.views["st_users"].columns == ["id", "email", "nickname", "bio"]
    assert s1.table("st_notes").foreign_keys["fk_st_notes_user"].ref_table == "st_people"
    # The old app reaches its table by the old name, with the table's defaults.
    seen = s1.relation("st_users")
    assert seen.name == "st_users" and seen.column("nickname").default == "'anon'"
    assert Schema.from_json(s1.to_json()) == s1
    assert "st_users" in states[Phase.BACKFILL].views
    assert states[Phase.CONTRACT].views == {}


def test_snapshots_without_the_new_keys_still_load() -> None:
    """A snapshot written before triggers had fills and schemas had views."""
    old = {
        "format": 1,
        "tables": [
            {
                "name": "t",
                "columns": [{"name": "a", "type": "INTEGER"}],
                "triggers": [{"name": "trg", "definition": "CREATE TRIGGER trg"}],
            }
        ],
    }
    schema = Schema.from_dict(old)
    assert schema.views == {}
    assert schema.table("t").triggers["trg"].fills == []
    assert schema.table("t").triggers["trg"].defaults == {}


# --- releases that cannot run phase by phase -------------------------------------------------


def release(dialect: Dialect, setup: Ops, *migrations: Ops) -> list[CompiledMigration]:
    schema = compile_migration(Migration("setup", setup), Schema(), dialect).after
    compiled = []
    for number, operations in enumerate(migrations, 1):
        compiled.append(compile_migration(Migration(f"m{number}", operations), schema, dialect))
        schema = compiled[-1].after
    return compiled


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_a_migration_that_needs_an_earlier_contract_is_refused(dialect_name: str) -> None:
    dialect = get_dialect(dialect_name)
    compiled = release(
        dialect,
        [USERS],
        [ops.RenameColumn("st_users", "nickname", "handle")],
        [ops.AddColumn("st_users", Column("nickname", String(20)))],
    )
    with pytest.raises(InvalidOperation) as raised:
        list(chain(compiled, dialect))
    assert str(raised.value) == (
        "m2: the expand of operation 1 (AddColumn) needs the contract of operation 1 "
        "(RenameColumn) of m1 first (column 'nickname' already exists in table 'st_users'): "
        "m1 and m2 belong in separate releases"
    )
    # Each in a release of its own runs.
    for one in compiled:
        assert chain([one], dialect)


REFUSED: dict[str, tuple[list[Ops], str]] = {
    # The view the old app uses holds the name: a new table of that name must wait.
    "the old name of a renamed table is taken until contract": (
        [
            [ops.RenameTable("st_users", "st_people")],
            [ops.CreateTable("st_users", Column("id", Integer, primary_key=True))],
        ],
        r"^m2: the expand of operation 1 \(CreateTable\) needs the contract of operation 1 "
        r"\(RenameTable\) of m1 first \(table 'st_users' already exists\)",
    ),
    "an operation that needs an earlier one of its migration": (
        [
            [
                ops.DropIndex("ix_st_users_nickname", "st_users"),
                ops.CreateIndex("ix_st_users_nickname", "st_users", ["bio"]),
            ]
        ],
        r"^m1: the expand of operation 2 \(CreateIndex\) "
        r"needs the contract of operation 1 \(DropIndex\) first",
    ),
    "a write to a column an earlier migration syncs": (
        [
            [ops.RenameColumn("st_users", "nickname", "handle")],
            [ops.Backfill("st_users", set={"handle": "lower(handle)"})],
        ],
        r"m2: operation 1 \(Backfill\) writes "
        r"st_users.handle, which operation 1 \(RenameColumn\) of m1 keeps in step by trigger",
    ),
    "a contract that undoes a later migration": (
        [
            [ops.DropDefault("st_users", "nickname")],
            [ops.SetDefault("st_users", "nickname", "someone")],
        ],
        r"nickname/default = None where \"'someone'\"",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_release_that_cannot_run_phase_by_phase_is_refused(case: str) -> None:
    migrations, message = REFUSED[case]
    dialect = get_dialect("postgresql")
    compiled = release(dialect, [USERS], *migrations)
    with pytest.raises(InvalidOperation, match=message):
        list(chain(compiled, dialect))


# --- on the servers: the model is what the server holds --------------------------------------


LIVE: dict[str, tuple[list[str], Ops, Ops, list[dict[str, Any]]]] = {
    # Each: the tables (the first gets the rows), the setup, the operations, the rows.
    "rename_column": (
        ["st_live_users"],
        [
            ops.CreateTable(
                "st_live_users",
                Column("id", Integer, primary_key=True),
                Column("email", String(200), nullable=False, unique=True),
                Column("nickname", String(50), server_default="anon"),
                Index("ix_st_live_users_nickname", "nickname", "id"),
            )
        ],
        [
            ops.RenameColumn("st_live_users", "email", "email_address"),
            ops.RenameColumn("st_live_users", "nickname", "handle"),
        ],
        [{"email": f"u{i}@x", "nickname": f"n{i}"} for i in range(5)],
    ),
    "change_column_type": (
        ["st_live_prices"],
        [
            ops.CreateTable(
                "st_live_prices",
                Column("id", Integer, primary_key=True),
                Column("amount", Integer, nullable=False, server_default="0"),
                Column("code", String(20), unique=True),
                Index("ix_st_live_prices_amount", "amount"),
            )
        ],
        [
            ops.ChangeColumnType(
                "st_live_prices",
                "amount",
                Numeric(12, 2),
                "CAST(amount AS DECIMAL(12, 2))",
                "ROUND(amount)",
            ),
            ops.ChangeColumnType("st_live_prices", "code", String(40), "code", "code"),
        ],
        [{"amount": i, "code": f"c{i}"} for i in range(5)],
    ),
    "set_not_null": (
        ["st_live_accounts"],
        [
            ops.CreateTable(
                "st_live_accounts",
                Column("id", Integer, primary_key=True),
                Column("plan", String(20)),
                Column("owner", Integer),
            )
        ],
        [
            ops.SetNotNull("st_live_accounts", "plan", fill="'free'"),
            ops.SetNotNull("st_live_accounts", "owner"),
        ],
        [{"plan": None if i % 2 else "pro", "owner": i} for i in range(5)],
    ),
    "rename_table": (
        ["st_live_items", "st_live_lines", "st_live_notes"],
        [
            ops.CreateTable(
                "st_live_items",
                Column("id", Integer, primary_key=True),
                Column("name", String(50), nullable=False, server_default="?"),
            ),
            ops.CreateTable(
                "st_live_notes",
                Column("id", Integer, primary_key=True),
                Column(
                    "item_id",
                    Integer,
                    ForeignKey("st_live_items.id", name="fk_st_live_notes_item"),
                ),
            ),
        ],
        [ops.RenameTable("st_live_items", "st_live_lines")],
        [{"name": f"item{i}"} for i in range(5)],
    ),
    "transform_column": (
        ["st_live_people"],
        [
            ops.CreateTable(
                "st_live_people",
                Column("id", Integer, primary_key=True),
                Column("full_name", String(100), nullable=False),
                Column("nick", String(20), nullable=False),
            )
        ],
        [
            ops.TransformColumn(
                "st_live_people",
                add=[Column("first_name", String(100), nullable=False, server_default="")],
                up={"first_name": "full_name"},
                down={"full_name": "first_name"},
                drop=["full_name", "nick"],
            )
        ],
        [{"full_name": f"Ada {i}", "nick": "a"} for i in range(5)],
    ),
    "add_check_constraint": (
        ["st_live_stock"],
        [
            ops.CreateTable(
                "st_live_stock",
                Column("id", Integer, primary_key=True),
                Column("quantity", Integer),
            )
        ],
        [ops.AddCheckConstraint("ck_st_live_stock_quantity", "st_live_stock", "quantity >= 0")],
        [{"quantity": i} for i in range(5)],
    ),
    "drop_column": (
        ["st_live_profiles"],
        [
            ops.CreateTable(
                "st_live_profiles",
                Column("id", Integer, primary_key=True),
                Column("name", String(50)),
                Column("bio", String(100), nullable=False),
                Index("ix_st_live_profiles_name_bio", "name", "bio"),
            )
        ],
        [ops.DropColumn("st_live_profiles", "bio")],
        [{"name": f"p{i}", "bio": "b"} for i in range(5)],
    ),
}


def comparable(table: Table) -> Table:
    """The table as the comparison reads it: triggers by name (reflection reads no fills)."""
    return dataclasses.replace(table, triggers={name: Trigger(name) for name in table.triggers})


def views_of(engine: sa.Engine, dialect: Dialect, names: list[str]) -> dict[str, list[str]]:
    """The case's views on the server, with the names of their columns."""
    with engine.connect() as connection:
        views = [v for v in list_views(connection, dialect) if v in names]
        inspector = sa.inspect(connection)
        return {v: [c["name"] for c in inspector.get_columns(v)] for v in views}


@pytest.mark.parametrize("case", LIVE)
def test_the_server_holds_the_modelled_state(db: tuple[sa.Engine, Dialect], case: str) -> None:
    engine, dialect = db
    tables, setup, operations, rows = LIVE[case]

    def seed(connection: sa.Connection) -> None:
        """Rows for the backfill to walk, in batches."""
        first = sa.Table(tables[0], sa.MetaData(), autoload_with=connection)
        connection.execute(first.insert(), rows)

    lifecycle = Lifecycle(
        tables=tables,
        setup=setup,
        operations=operations,
        check=lambda connection, phase: None,
        after=lambda connection: None,
        seed=seed,
    )
    baseline = set_up(engine, dialect, lifecycle)
    compiled = compile_migration(Migration("m", operations), baseline, dialect)
    for (_, phase), modelled in chain([compiled], dialect).items():
        run_phase(engine, compiled, phase, dialect, batch_size=2)
        reflected = state(engine, dialect, lifecycle)
        assert sorted(reflected.tables) == sorted(modelled.tables), phase
        for name, table in modelled.tables.items():
            assert comparable(reflected.table(name)) == comparable(table), (phase, name)
        views = {v.name: v.columns for v in modelled.views.values()}
        assert views_of(engine, dialect, tables) == views, phase
