"""Compatibility of an app version with a phase state (zdmigrate.plan.compat, ZD101–ZD112).

Apps are real SQLAlchemy declarative models, so column types, defaults and constraints are
what zdmigrate.metadata makes of them on each dialect. States are built the same way (a phase
state is a model of the database, never of an ORM) or reflected from the real servers, in a
schema (PostgreSQL) or database (MariaDB) of this test session's own: ``cmp_<token>``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, mapped_column

from tests.conftest import server_dialect
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.findings import RULES, Finding, Rule
from zdmigrate.metadata import schema_from_metadata
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.plan import compat
from zdmigrate.plan.compat import check_app
from zdmigrate.plan.states import phase_states
from zdmigrate.plan.types import Effect, Family, parse_type, type_changes
from zdmigrate.reflect import reflect_schema
from zdmigrate.schema import CheckConstraint, Schema, Trigger, View

USERS = "cmp_users"
ACCOUNTS = "cmp_accounts"
TEAMS = "cmp_teams"


@pytest.fixture(params=["postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> Dialect:
    return get_dialect(request.param)


def app(dialect: Dialect, *table_args: Any, **columns: Any) -> Schema:
    """The model of an app whose one class maps USERS: an ``id`` key and ``columns``."""

    class Base(DeclarativeBase):
        pass

    attributes: dict[str, Any] = {
        "__tablename__": USERS,
        "id": mapped_column(sa.Integer, primary_key=True),
        **columns,
    }
    if table_args:
        attributes["__table_args__"] = table_args
    type("User", (Base,), attributes)
    return schema_from_metadata(Base.metadata, dialect)


def state(dialect: Dialect, *elements: Any, name: str = USERS) -> Schema:
    """A phase state holding one table: an ``id`` key and ``elements``."""
    metadata = sa.MetaData()
    sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True), *elements)
    return schema_from_metadata(metadata, dialect)


def check(app_model: Schema, state_model: Schema, dialect: Dialect) -> list[Finding]:
    return check_app(app_model, state_model, dialect, app_label="old", phase="expand")


def found(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return sorted((f.code, str(f.severity), f.column) for f in findings)


# --- ZD101 a table is missing ----------------------------------------------------------------


def test_a_table_the_app_maps_is_there(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    assert check(model, state(dialect, sa.Column("email", sa.String(255))), dialect) == []


def test_a_missing_table_is_an_error_naming_app_phase_and_table(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    findings = check_app(
        model, state(dialect, name=TEAMS), dialect, app_label="new", phase="contract"
    )
    assert found(findings) == [("ZD101", "error", None)]
    (finding,) = findings
    assert (finding.app, finding.phase, finding.table) == ("new", "contract", USERS)
    assert finding.message.startswith(f"new app after contract: table {USERS} ")
    assert "rename" not in finding.message
    assert finding.help == RULES["ZD101"].help


def test_a_table_renamed_by_raw_sql_says_so(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    renamed = state(dialect, sa.Column("email", sa.String(255)), name=ACCOUNTS)
    (finding,) = check(model, renamed, dialect)
    assert finding.code == "ZD101"
    assert f"{ACCOUNTS} has the same columns: a rename without sync?" in finding.message
    assert "ops.RenameTable" in finding.message


def test_the_view_rename_table_leaves_serves_the_old_app(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    renamed = state(dialect, sa.Column("email", sa.String(255)), name=ACCOUNTS)
    renamed.views[USERS] = View(name=USERS, table=ACCOUNTS, columns=["id", "email"])
    assert check(model, renamed, dialect) == []
    # A view that shows fewer columns than the app maps is a missing column.
    renamed.views[USERS] = View(name=USERS, table=ACCOUNTS, columns=["id"])
    assert found(check(model, renamed, dialect)) == [("ZD102", "error", "email")]


# --- ZD102 a column is missing ---------------------------------------------------------------


def test_a_column_the_app_maps_is_there(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    assert check(model, state(dialect, sa.Column("email", sa.String(255))), dialect) == []


def test_a_missing_column_is_an_error(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    findings = check(model, state(dialect, sa.Column("phone", sa.String(40))), dialect)
    assert found(findings) == [("ZD102", "error", "email")]
    assert findings[0].message.startswith(f"old app after expand: {USERS}.email ")
    assert "rename" not in findings[0].message


def test_a_column_renamed_without_sync_says_so(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    findings = check(model, state(dialect, sa.Column("email_address", sa.String(255))), dialect)
    assert found(findings) == [("ZD102", "error", "email")]
    assert (
        f"{USERS}.email is gone but {USERS}.email_address has the same type: a rename without "
        "sync? use ops.RenameColumn"
    ) in findings[0].message
    assert "ops.RenameColumn" in findings[0].help


# --- ZD103 an insert leaves out a required column ----------------------------------------------


FILLED_COLUMNS = {
    "server-default": lambda: sa.Column(
        "status", sa.String(20), nullable=False, server_default="active"
    ),
    "nullable": lambda: sa.Column("status", sa.String(20), nullable=True),
    "identity": lambda: sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),
    "generated": lambda: sa.Column("twice", sa.Integer, sa.Computed("id * 2"), nullable=False),
}


@pytest.mark.parametrize("kind", sorted(FILLED_COLUMNS))
def test_columns_the_app_does_not_map_that_fill_themselves(dialect: Dialect, kind: str) -> None:
    filled = state(dialect, FILLED_COLUMNS[kind]())
    if kind == "identity":  # MySQL has one AUTO_INCREMENT per table: model it as one
        filled.tables[USERS].columns["seq"].identity = True
    assert check(app(dialect), filled, dialect) == []


def test_a_not_null_column_the_app_never_writes_fails_its_inserts(dialect: Dialect) -> None:
    model = app(dialect)
    findings = check(
        model, state(dialect, sa.Column("status", sa.String(20), nullable=False)), dialect
    )
    assert found(findings) == [("ZD103", "error", "status")]
    assert "every insert of the app fails" in findings[0].message


def test_a_trigger_that_fills_the_column_keeps_inserts_working(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255)))
    synced = state(
        dialect,
        sa.Column("email", sa.String(255)),
        sa.Column("email_address", sa.String(255), nullable=False),
    )
    synced.tables[USERS].triggers["zdm_sync"] = Trigger("zdm_sync", fills=["email_address"])
    assert check(model, synced, dialect) == []


def test_a_not_valid_not_null_check_on_an_unmapped_column_fails_inserts(dialect: Dialect) -> None:
    model = app(dialect)
    checked = state(dialect, sa.Column("status", sa.String(20)))
    not_null = f"{dialect.quote('status')} IS NOT NULL"
    checked.tables[USERS].checks["zdm_nn"] = CheckConstraint("zdm_nn", not_null, validated=False)
    (finding,) = check(model, checked, dialect)
    assert (finding.code, finding.column) == ("ZD103", "status")
    assert "CHECK zdm_nn (NOT VALID" in finding.message


# --- ZD104 the app may write NULL into a column that refuses it --------------------------------


def test_an_app_that_maps_a_column_not_null_writes_no_null(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255), nullable=False))
    required = state(dialect, sa.Column("email", sa.String(255), nullable=False))
    assert check(model, required, dialect) == []


def test_a_nullable_mapping_on_a_not_null_column_is_an_error(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255), nullable=True))
    # The state's server default does not help: the ORM writes an explicit NULL.
    required = state(
        dialect, sa.Column("email", sa.String(255), nullable=False, server_default="x")
    )
    findings = check(model, required, dialect)
    assert found(findings) == [("ZD104", "error", "email")]
    assert "NOT NULL" in findings[0].message


def test_a_python_default_covers_inserts_but_not_updates(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255), nullable=True, default="nobody"))
    required = state(dialect, sa.Column("email", sa.String(255), nullable=False))
    findings = check(model, required, dialect)
    assert found(findings) == [("ZD104", "warning", "email")]
    assert "an update that sets it to None fails" in findings[0].message


def test_a_not_valid_check_refuses_the_nulls_too(dialect: Dialect) -> None:
    model = app(dialect, email=mapped_column(sa.String(255), nullable=True))
    checked = state(dialect, sa.Column("email", sa.String(255), nullable=True))
    assert check(model, checked, dialect) == []
    not_null = f"{dialect.quote('email')} IS NOT NULL"
    checked.tables[USERS].checks["zdm_nn"] = CheckConstraint("zdm_nn", not_null, validated=False)
    findings = check(model, checked, dialect)
    assert found(findings) == [("ZD104", "error", "email")]  # and no ZD111 for the same check
    # A fill trigger (ops.SetNotNull(fill=...)) turns the NULLs into a value.
    checked.tables[USERS].triggers["zdm_fill"] = Trigger("zdm_fill", fills=["email"])
    assert check(model, checked, dialect) == []


# --- ZD105 a server default the app relies on is gone -------------------------------------------


def test_the_server_default_the_app_relies_on_is_there(dialect: Dialect) -> None:
    status = mapped_column(sa.String(20), nullable=False, server_default="active")
    model = app(dialect, status=status)
    column = sa.Column("status", sa.String(20), nullable=False, server_default="active")
    assert check(model, state(dialect, column), dialect) == []


def test_a_dropped_server_default_fails_the_inserts_that_relied_on_it(dialect: Dialect) -> None:
    status = mapped_column(sa.String(20), nullable=False, server_default="active")
    model = app(dialect, status=status)
    findings = check(
        model, state(dialect, sa.Column("status", sa.String(20), nullable=False)), dialect
    )
    assert found(findings) == [("ZD105", "error", "status")]
    assert "relies on its default 'active'" in findings[0].message
    # On a nullable column the inserts work, and store NULL: a warning.
    nullable = state(dialect, sa.Column("status", sa.String(20), nullable=True))
    assert found(check(model, nullable, dialect)) == [("ZD105", "warning", "status")]


def test_an_app_with_a_python_default_does_not_need_the_server_default(dialect: Dialect) -> None:
    status = mapped_column(sa.String(20), nullable=False, server_default="a", default="a")
    model = app(dialect, status=status)
    assert model.tables[USERS].columns["status"].app_default
    column = sa.Column("status", sa.String(20), nullable=False)
    assert check(model, state(dialect, column), dialect) == []


# --- ZD106–ZD108 types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_type", "state_type"),
    [
        (sa.String(20), sa.String(100)),
        (sa.String(20), sa.Text()),
        (sa.Integer(), sa.BigInteger()),
        (sa.Numeric(12, 2), sa.Numeric(14, 2)),
        (sa.SmallInteger(), sa.Integer()),
        (sa.Enum("a", "b", name="cmp_kind"), sa.Enum("a", "b", name="cmp_kind")),
    ],
    ids=[
        "varchar-wider",
        "varchar-to-text",
        "int-to-bigint",
        "numeric-wider",
        "small-to-int",
        "enum",
    ],
)
def test_a_type_as_wide_or_wider_is_fine(dialect: Dialect, app_type: Any, state_type: Any) -> None:
    model = app(dialect, v=mapped_column(app_type))
    assert check(model, state(dialect, sa.Column("v", state_type)), dialect) == []


@pytest.mark.parametrize(
    ("app_type", "state_type", "reason"),
    [
        (sa.String(50), sa.String(20), "values longer than 20 characters are refused"),
        (sa.CHAR(5), sa.CHAR(3), "values longer than 3 characters"),
        (sa.Numeric(12, 4), sa.Numeric(12, 2), "rounded to 2 decimal places"),
        (sa.Numeric(12, 2), sa.Numeric(8, 2), "values too large for it are refused"),
        (sa.BigInteger(), sa.Integer(), "values outside -2147483648..2147483647 are refused"),
        (sa.String(20), sa.Integer(), "strings that are not a valid INTEGER are refused"),
        (sa.String(20), sa.Date(), "strings that are not a valid DATE are refused"),
        (sa.String(20), sa.Boolean(), "strings that are not a valid"),
        (
            sa.Enum("a", "b", "c", name="cmp_kind"),
            sa.Enum("a", "b", name="cmp_kind"),
            "it lacks 'c', which the app may write",
        ),
    ],
    ids=[
        "varchar",
        "char",
        "scale",
        "precision",
        "int",
        "text-to-int",
        "text-to-date",
        "text-to-bool",
        "enum-value",
    ],
)
def test_a_narrower_type_breaks_writes(
    dialect: Dialect, app_type: Any, state_type: Any, reason: str
) -> None:
    model = app(dialect, v=mapped_column(app_type))
    findings = check(model, state(dialect, sa.Column("v", state_type)), dialect)
    assert [(f.code, f.column) for f in findings] == [("ZD106", "v")]
    assert reason in findings[0].message
    assert findings[0].message.startswith(f"old app after expand: {USERS}.v is ")


def test_a_number_turned_into_text_breaks_reads(dialect: Dialect) -> None:
    model = app(dialect, v=mapped_column(sa.Integer))
    findings = check(model, state(dialect, sa.Column("v", sa.String(40))), dialect)
    assert found(findings) == [("ZD107", "error", "v")]
    assert "reads return strings, not integer values" in findings[0].message
    assert check(model, state(dialect, sa.Column("v", sa.Integer)), dialect) == []


def test_more_decimal_places_in_the_state_change_reads(dialect: Dialect) -> None:
    model = app(dialect, v=mapped_column(sa.Numeric(12, 2)))
    findings = check(model, state(dialect, sa.Column("v", sa.Numeric(14, 4))), dialect)
    assert found(findings) == [("ZD108", "warning", "v")]
    assert "up to 4 decimal places where the app's type has 2" in findings[0].message
    assert check(model, state(dialect, sa.Column("v", sa.Numeric(12, 2))), dialect) == []


def test_numeric_12_4_under_an_app_of_numeric_12_2_breaks_writes_and_changes_reads(
    dialect: Dialect,
) -> None:
    """NUMERIC(12,4) keeps 8 digits before the point, the app's NUMERIC(12,2) writes 10."""
    model = app(dialect, v=mapped_column(sa.Numeric(12, 2)))
    findings = check(model, state(dialect, sa.Column("v", sa.Numeric(12, 4))), dialect)
    assert found(findings) == [("ZD106", "error", "v"), ("ZD108", "warning", "v")]


def test_enum_labels_the_app_does_not_know_change_its_reads(dialect: Dialect) -> None:
    model = app(dialect, v=mapped_column(sa.Enum("a", "b", name="cmp_kind")))
    wider = state(dialect, sa.Column("v", sa.Enum("a", "b", "refunded", name="cmp_kind")))
    findings = check(model, wider, dialect)
    assert found(findings) == [("ZD108", "warning", "v")]
    assert "'refunded'" in findings[0].message


# --- ZD109 a generated column --------------------------------------------------------------------


def test_a_column_generated_in_the_state_refuses_the_apps_writes(dialect: Dialect) -> None:
    generated = state(dialect, sa.Column("v", sa.Integer, sa.Computed("id * 2")))
    plain = app(dialect, v=mapped_column(sa.Integer))
    assert found(check(plain, generated, dialect)) == [("ZD109", "error", "v")]
    computed = app(dialect, v=mapped_column(sa.Integer, sa.Computed("id * 2")))
    assert check(computed, generated, dialect) == []


# --- ZD110–ZD112 constraints the app does not declare -------------------------------------------


def test_a_unique_key_the_app_does_not_declare_is_a_warning(dialect: Dialect) -> None:
    unique = state(dialect, sa.Column("email", sa.String(255), unique=True))
    plain = app(dialect, email=mapped_column(sa.String(255)))
    findings = check(plain, unique, dialect)
    assert found(findings) == [("ZD110", "warning", "email")]
    assert "refused as duplicates" in findings[0].message
    declared = app(dialect, email=mapped_column(sa.String(255), unique=True))
    assert check(declared, unique, dialect) == []


def test_a_unique_index_over_more_columns_than_a_declared_key_holds_anyway(
    dialect: Dialect,
) -> None:
    wide = state(
        dialect,
        sa.Column("email", sa.String(255)),
        sa.Column("team", sa.Integer),
        sa.Index("cmp_ux_email_team", "email", "team", unique=True),
    )
    declared = app(
        dialect,
        email=mapped_column(sa.String(255), unique=True),
        team=mapped_column(sa.Integer),
    )
    assert check(declared, wide, dialect) == []
    plain = app(dialect, email=mapped_column(sa.String(255)), team=mapped_column(sa.Integer))
    assert found(check(plain, wide, dialect)) == [("ZD110", "warning", "email, team")]


def test_a_check_the_app_does_not_declare_is_a_warning(dialect: Dialect) -> None:
    checked = state(
        dialect,
        sa.Column("age", sa.Integer),
        sa.CheckConstraint("age >= 0", name="cmp_age_positive"),
    )
    plain = app(dialect, age=mapped_column(sa.Integer))
    findings = check(plain, checked, dialect)
    assert found(findings) == [("ZD111", "warning", "age")]
    assert "cmp_age_positive" in findings[0].message
    declared = app(
        dialect, sa.CheckConstraint("age >= 0", name="cmp_age_ok"), age=mapped_column(sa.Integer)
    )
    assert check(declared, checked, dialect) == []


def test_one_finding_per_rule_table_and_column(dialect: Dialect) -> None:
    checked = state(
        dialect,
        sa.Column("age", sa.Integer),
        sa.CheckConstraint("age >= 0", name="cmp_age_positive"),
        sa.CheckConstraint("age < 200", name="cmp_age_bounded"),
    )
    findings = check(app(dialect, age=mapped_column(sa.Integer)), checked, dialect)
    assert found(findings) == [("ZD111", "warning", "age")]


def test_a_foreign_key_the_app_does_not_declare_is_a_warning(dialect: Dialect) -> None:
    metadata = sa.MetaData()
    sa.Table(TEAMS, metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        USERS,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey(f"{TEAMS}.id")),
    )
    with_key = schema_from_metadata(metadata, dialect)
    plain = app(dialect, team_id=mapped_column(sa.Integer))
    findings = check(plain, with_key, dialect)
    assert found(findings) == [("ZD112", "warning", "team_id")]
    assert f"references {TEAMS} (id)" in findings[0].message

    class Base(DeclarativeBase):
        pass

    type(
        "Team", (Base,), {"__tablename__": TEAMS, "id": mapped_column(sa.Integer, primary_key=True)}
    )
    type(
        "User",
        (Base,),
        {
            "__tablename__": USERS,
            "id": mapped_column(sa.Integer, primary_key=True),
            "team_id": mapped_column(sa.Integer, sa.ForeignKey(f"{TEAMS}.id")),
        },
    )
    assert check(schema_from_metadata(Base.metadata, dialect), with_key, dialect) == []


# --- the rules' pages ----------------------------------------------------------------------------

COMPAT_RULES = sorted(
    (r for r in vars(compat).values() if isinstance(r, Rule)), key=lambda r: r.code
)


@pytest.mark.parametrize("rule", COMPAT_RULES, ids=[r.code for r in COMPAT_RULES])
def test_each_rule_has_its_page(rule: Rule) -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "rules" / f"{rule.code}.md"
    text = page.read_text()
    assert text.startswith(f"# {rule.code} {rule.name}\n")
    assert f"Severity: {rule.severity}" in text
    for section in ("## Problem", "## Example", "## Safe recipe"):
        assert section in text, f"{page.name} has no {section}"


# --- the Python-side default in the model ------------------------------------------------------


def test_app_default_is_kept_in_snapshots_and_left_out_of_comparisons(dialect: Dialect) -> None:
    model = app(
        dialect, email=mapped_column(sa.String(255), default="x"), name=mapped_column(sa.Text)
    )
    columns = model.tables[USERS].columns
    assert columns["email"].app_default and not columns["name"].app_default
    assert Schema.from_json(model.to_json()).tables[USERS].columns["email"].app_default
    written = model.to_dict()["tables"][0]["columns"]
    assert "app_default" not in written["name"]  # a database's snapshot reads as before
    database = state(dialect, sa.Column("email", sa.String(255)), sa.Column("name", sa.Text))
    assert database == model


# --- through real operations and the phase states they leave -------------------------------


def users_v(dialect: Dialect, email: str, email_type: Any = None) -> Schema:
    """The users app at one release: it calls the e-mail column ``email``."""
    return app(
        dialect,
        **{email: mapped_column(email_type or sa.String(255), nullable=False, unique=True)},
        name=mapped_column(sa.String(100), nullable=False, server_default="anonymous"),
    )


def release_findings(dialect: Dialect, old: Schema, new: Schema, *operations: Any) -> list[str]:
    """Each finding of the old app on the states after expand and backfill, and of the new app
    on those after backfill and contract, as "code app phase column"."""
    migration = Migration(id="0002_change", operations=list(operations))
    compiled = compile_migration(migration, old, dialect)
    lines = []
    for _, phase, phase_state in phase_states([compiled], old, dialect):
        apps = {"expand": [old], "backfill": [old, new], "contract": [new]}[str(phase)]
        for model in apps:
            label = "old" if model is old else "new"
            for f in check_app(model, phase_state, dialect, app_label=label, phase=str(phase)):
                lines.append(f"{f.code} {f.app} {f.phase} {f.column}")
    return lines


def test_a_rename_column_keeps_both_apps_working(dialect: Dialect) -> None:
    old, new = users_v(dialect, "email"), users_v(dialect, "email_address")
    rename = ops.RenameColumn(USERS, "email", "email_address")
    assert release_findings(dialect, old, new, rename) == []


def test_set_not_null_without_fill_refuses_the_old_apps_nulls(dialect: Dialect) -> None:
    old = app(dialect, phone=mapped_column(sa.String(30)))
    new = app(dialect, phone=mapped_column(sa.String(30), nullable=False, default=""))
    found = release_findings(dialect, old, new, ops.SetNotNull(USERS, "phone"))
    if dialect.caps.not_valid_constraints:  # CHECK (phone IS NOT NULL) NOT VALID from expand on
        assert found == ["ZD104 old expand phone", "ZD104 old backfill phone"]
    else:  # NOT NULL only in contract, when the old app is gone
        assert found == []


def test_set_not_null_with_fill_keeps_the_old_app_working(dialect: Dialect) -> None:
    old = app(dialect, phone=mapped_column(sa.String(30)))
    new = app(dialect, phone=mapped_column(sa.String(30), nullable=False, default=""))
    assert release_findings(dialect, old, new, ops.SetNotNull(USERS, "phone", fill="''")) == []


def test_a_narrowing_type_change_breaks_the_old_apps_writes(dialect: Dialect) -> None:
    old = users_v(dialect, "email")
    new = users_v(dialect, "email", sa.String(20))
    narrow = ops.ChangeColumnType(USERS, "email", sa.String(20), up="email", down="email")
    assert release_findings(dialect, old, new, narrow) == ["ZD106 old backfill email"]


# --- type text as the servers print it -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "family", "size"),
    [
        ("postgresql", "character varying(20)", Family.STRING, 20),
        ("postgresql", "NUMERIC(12, 2)", Family.DECIMAL, (12, 2)),
        ("postgresql", "TIMESTAMP(3) WITH TIME ZONE", Family.DATETIME, 3),
        ("postgresql", "REAL", Family.FLOAT, 6),
        ("mariadb", "int(11)", Family.INTEGER, 2**31 - 1),
        ("mariadb", "BIGINT UNSIGNED", Family.INTEGER, 2**64 - 1),
        ("mariadb", "VARCHAR(20) CHARACTER SET utf8mb4", Family.STRING, 20),
        ("mariadb", "decimal", Family.DECIMAL, (10, 0)),
        ("mariadb", "REAL", Family.FLOAT, 15),
        ("mariadb", "tinyint(1)", Family.INTEGER, 127),
    ],
)
def test_type_text_is_read_as_each_server_means_it(
    name: str, text: str, family: Family, size: object
) -> None:
    parsed = parse_type(text, get_dialect(name))
    assert parsed.family is family
    measured = {
        Family.STRING: parsed.length,
        Family.DECIMAL: (parsed.precision, parsed.scale),
        Family.DATETIME: parsed.precision,
        Family.FLOAT: parsed.precision,
        Family.INTEGER: parsed.high,
    }[family]
    assert measured == size


@pytest.mark.parametrize(
    ("name", "app_type", "state_type", "effects"),
    [
        ("postgresql", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP WITH TIME ZONE", ["reads differ"]),
        ("postgresql", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE", ["writes break"]),
        (
            "postgresql",
            "TIMESTAMP(6) WITHOUT TIME ZONE",
            "TIMESTAMP(3) WITHOUT TIME ZONE",
            ["writes break"],
        ),
        ("postgresql", "DATE", "TIMESTAMP WITHOUT TIME ZONE", ["reads differ"]),
        ("postgresql", "DOUBLE PRECISION", "REAL", ["writes break"]),
        ("postgresql", "BOOLEAN", "INTEGER", ["writes break"]),
        ("postgresql", "INTEGER[]", "BIGINT[]", []),
        ("postgresql", "BIGINT[]", "INTEGER[]", ["writes break"]),
        ("postgresql", "UUID", "VARCHAR(20)", ["writes break", "reads break"]),
        ("postgresql", "point", "point", []),
        ("postgresql", "point", "line", ["reads differ"]),
        ("mariadb", "VARCHAR(300)", "TEXT", []),
        ("mariadb", "VARCHAR(20000)", "TEXT", ["writes break"]),  # 65,535 bytes of utf8mb4
        ("mariadb", "VARCHAR(20000)", "MEDIUMTEXT", []),
        ("mariadb", "DATETIME", "TIMESTAMP", ["writes break"]),  # 1970–2038 only
        ("mariadb", "DATETIME(6)", "DATETIME", ["writes break"]),
        ("mariadb", "INTEGER", "INTEGER UNSIGNED", ["writes break"]),
        ("mariadb", "INTEGER UNSIGNED", "BIGINT", []),
        ("mariadb", "BOOL", "TINYINT", []),
        ("mariadb", "INTEGER", "BOOL", ["writes break"]),
        ("mariadb", "FLOAT", "DOUBLE", []),
        ("mariadb", "BIGINT", "DOUBLE", ["writes break", "reads differ"]),
        ("mariadb", "DECIMAL(12,2)", "DECIMAL(12,2) UNSIGNED", ["writes break"]),
    ],
)
def test_what_a_change_of_type_does(
    name: str, app_type: str, state_type: str, effects: list[str]
) -> None:
    dialect = get_dialect(name)
    changes = type_changes(parse_type(app_type, dialect), parse_type(state_type, dialect))
    assert [str(c.effect) for c in changes] == effects


def test_mysql_enum_labels_are_read_with_their_escapes() -> None:
    parsed = parse_type("ENUM('a','it''s','back\\\\slash')", get_dialect("mariadb"))
    assert parsed.values == ("a", "it's", "back\\slash")
    wider = parse_type("ENUM('a','it''s','back\\\\slash','new')", get_dialect("mariadb"))
    assert [c.effect for c in type_changes(parsed, wider)] == [Effect.READS_DIFFER]
    assert [c.effect for c in type_changes(wider, parsed)] == [Effect.WRITES_BREAK]


# --- against the real servers ----------------------------------------------------------------

TOKEN = secrets.token_hex(3)
SCHEMA = f"cmp_{TOKEN}"

REFLECTED_DDL = {
    # Spelled as people write it; the server prints it back its own way.
    "postgresql": [
        "CREATE TYPE {schema}.{kind} AS ENUM ('a', 'b')",
        "CREATE TABLE {table} (id serial PRIMARY KEY, code character varying(10) NOT NULL, "
        "amount numeric(10, 2), qty smallint, kind {schema}.{kind}, "
        "note text NOT NULL)",
    ],
    "mysql": [
        "CREATE TABLE {table} (id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "code varchar(10) NOT NULL, amount decimal(10,2), qty smallint(6), "
        "kind enum('a','b'), note text NOT NULL)",
    ],
}


@pytest.fixture
def reflected_state(db: tuple[sa.Engine, Dialect]) -> Iterator[tuple[Dialect, Schema]]:
    """A table made with raw DDL in this session's own schema (database), reflected."""
    engine, dialect = db
    kind = "postgresql" if dialect.caps.enum_types else "mysql"
    table = dialect.table(f"{SCHEMA}.{USERS}")
    names = {"table": table, "schema": dialect.quote(SCHEMA), "kind": dialect.quote("cmp_kind")}
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE {'SCHEMA' if kind == 'postgresql' else 'DATABASE'} {dialect.quote(SCHEMA)}"
        )
        for statement in REFLECTED_DDL[kind]:
            connection.exec_driver_sql(statement.format(**names))
    try:
        with engine.connect() as connection:
            yield server_dialect(engine), reflect_schema(connection, dialect, [SCHEMA])
    finally:
        with engine.begin() as connection:
            drop = "SCHEMA {} CASCADE" if kind == "postgresql" else "DATABASE {}"
            connection.exec_driver_sql("DROP " + drop.format(dialect.quote(SCHEMA)))


def reflected_app(dialect: Dialect, **types: Any) -> Schema:
    """The app mapping the reflected table, with ``types`` in place of the table's own."""

    class Base(DeclarativeBase):
        metadata = sa.MetaData(schema=SCHEMA)

    kind = sa.Enum("a", "b", name="cmp_kind", schema=SCHEMA)
    columns = {
        "code": sa.String(10),
        "amount": sa.Numeric(10, 2),
        "qty": sa.SmallInteger(),
        "kind": kind,
        **types,
    }
    attributes: dict[str, Any] = {
        "__tablename__": USERS,
        "id": mapped_column(sa.Integer, primary_key=True),
        "note": mapped_column(sa.Text, nullable=False),
        **{name: mapped_column(t, nullable=name != "code") for name, t in columns.items()},
    }
    type("User", (Base,), attributes)
    return schema_from_metadata(Base.metadata, dialect)


def test_an_app_matching_a_reflected_table_finds_nothing(
    reflected_state: tuple[Dialect, Schema],
) -> None:
    dialect, reflected = reflected_state
    assert check(reflected_app(dialect), reflected, dialect) == []


def test_an_app_wider_than_a_reflected_table_is_told_each_column(
    reflected_state: tuple[Dialect, Schema],
) -> None:
    dialect, reflected = reflected_state
    model = reflected_app(
        dialect,
        code=sa.String(40),
        amount=sa.Numeric(14, 4),
        qty=sa.Integer(),
        kind=sa.Enum("a", "b", "c", name="cmp_kind", schema=SCHEMA),
    )
    findings = check(model, reflected, dialect)
    assert [(f.code, f.table, f.column) for f in findings] == [
        ("ZD106", f"{SCHEMA}.{USERS}", column) for column in ("code", "amount", "qty", "kind")
    ]
    messages = {f.column: f.message for f in findings}
    assert "values longer than 10 characters" in messages["code"]
    assert "values too large" in messages["amount"] and "rounded to 2 decimal" in messages["amount"]
    assert "values outside -32768..32767" in messages["qty"]
    assert "lacks 'c'" in messages["kind"]
