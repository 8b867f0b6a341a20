"""zdmigrate operations in Alembic revisions, run for real: ``alembic upgrade`` runs a
revision's expand and backfill while the old app writes, both apps write while they overlap,
``zdmigrate run contract alembic.ini`` finishes it while the new app writes, and ``alembic
downgrade`` before contract undoes it, losing nothing.

The example project (``migrations_examples/alembic_project``) runs on a database of its own,
``zdm_alembic_run``: its tables are called users, products and orders.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from click.testing import CliRunner

from migrations_examples.alembic_project import app
from tests.test_alembic_plan import revision_file
from zdmigrate.cli import main
from zdmigrate.run.runner import Runner

EXAMPLE = Path(__file__).parent.parent / "migrations_examples" / "alembic_project" / "alembic.ini"
DATABASE = "zdm_alembic_run"
BEFORE = "7a4c6e0f1b07"
TITLES = "8b5d1e3f4a08"
HEAD = "9c6e2f4a5b09"
SEEDS = 20_000
SLOWEST_WRITE = 0.6
"""Seconds: the lock timeout of the example's env.py, 500 ms, and 100 ms for the machine."""


@pytest.fixture(params=["postgresql", "mysql"])
def project(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Config, sa.Engine, str]]:
    """The example project on an empty database of its own, upgraded to just before the
    zdmigrate revision, with 20,000 products: (its Alembic config, an engine, the URL)."""
    server: sa.Engine = request.getfixturevalue(
        "pg_engine" if request.param == "postgresql" else "mysql_engine"
    )
    admin = server.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    url = server.url.set(database=DATABASE).render_as_string(hide_password=False)
    monkeypatch.setenv("ZDMIGRATE_DATABASE_URL", url)
    engine = sa.create_engine(url)
    config = Config(str(EXAMPLE))
    try:
        command.upgrade(config, BEFORE)
        products = app.new.tables["products"]
        with engine.begin() as connection:
            connection.execute(
                products.insert(),
                [{"sku": f"seed{i}", "name": f"Mug {i}", "price": i % 50} for i in range(SEEDS)],
            )
        yield config, engine, url
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE}")


class Writer(threading.Thread):
    """One app version, inserting products and changing the price of its own, until stopped.
    It keeps what it wrote, to compare with the table afterwards."""

    def __init__(self, engine: sa.Engine, models: sa.MetaData, name: str) -> None:
        super().__init__(daemon=True)
        self.engine, self.products, self.label = engine, models.tables["products"], name
        self.title = "title" if "title" in self.products.c else "name"
        self.decimal = "title" in self.products.c
        self.stop = threading.Event()
        self.written: dict[int, tuple[str, Any]] = {}
        self.errors: list[str] = []
        self.slowest = 0.0
        """The longest write transaction, in seconds."""

    def price(self, n: int) -> Any:
        return Decimal(f"{n % 90}.25") if self.decimal else n % 90

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            began = time.monotonic()
            try:
                with self.engine.begin() as connection:
                    title = f"{self.label} mug {n}"
                    inserted = connection.execute(
                        self.products.insert().values(
                            {"sku": f"{self.label}{n}", self.title: title, "price": self.price(n)}
                        )
                    ).inserted_primary_key[0]
                    self.written[inserted] = (title, self.price(n))
                    if n % 3 == 0:  # an update of one of its own rows
                        key = next(iter(self.written))
                        connection.execute(
                            self.products.update()
                            .where(self.products.c.id == key)
                            .values(price=self.price(n + 1))
                        )
                        self.written[key] = (self.written[key][0], self.price(n + 1))
            except sa.exc.DBAPIError as exc:
                self.errors.append(str(exc.orig))
            self.slowest = max(self.slowest, time.monotonic() - began)
            self.stop.wait(0.005)

    def finish(self) -> None:
        self.stop.set()
        self.join(timeout=30)
        assert not self.is_alive()


def rows(engine: sa.Engine) -> dict[int, tuple[str, Decimal]]:
    with engine.connect() as connection:
        result = connection.exec_driver_sql("SELECT id, title, price FROM products")
        return {key: (title, Decimal(price)) for key, title, price in result}


def version(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        return str(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar())


def test_a_zdmigrate_revision_runs_online_through_alembic(
    project: tuple[Config, sa.Engine, str],
) -> None:
    config, engine, url = project
    old = Writer(engine, app.new, "old")
    old.start()
    old.stop.wait(0.2)
    before = len(old.written)
    command.upgrade(config, "head")  # expand and backfill, the old app writing
    assert len(old.written) > before + 10
    assert version(engine) == HEAD
    new = Writer(engine, app.titled, "new")
    new.start()
    new.stop.wait(1.0)  # both apps write while they overlap
    old.finish()
    with Runner(url) as runner:
        done = runner.run(EXAMPLE, "contract")  # the new app still writing
        assert [(d.migration, d.outcome) for d in done] == [(TITLES, "done"), (HEAD, "done")]
        states = {s.id: s.describe() for s in runner.status()}
        assert states[TITLES].startswith("contract done")
        assert states[HEAD].startswith("contract done")
    new.finish()
    assert old.errors == [] and new.errors == []
    assert len(old.written) > 20 and len(new.written) > 20
    print(
        f"slowest write: old app {old.slowest * 1000:.0f} ms, new app {new.slowest * 1000:.0f} ms"
    )
    # No write waited out a lock past the lock timeout (500 ms in the example's env.py).
    assert max(old.slowest, new.slowest) < SLOWEST_WRITE
    found = rows(engine)
    assert len(found) == SEEDS + len(old.written) + len(new.written)
    for writer in (old, new):  # each app's rows, as it last wrote them
        assert {k: (t, Decimal(p)) for k, (t, p) in writer.written.items()} == {
            k: found[k] for k in writer.written
        }
    seeds = {key: found[key] for key in range(1, SEEDS + 1)}  # the rows from before, backfilled
    expected = {i + 1: (f"Mug {i}", Decimal(i % 50)) for i in range(SEEDS)}
    assert [(k, v, expected.get(k)) for k, v in seeds.items() if v != expected.get(k)] == []
    with pytest.raises(CommandError, match="contract is not reversible"):
        command.downgrade(config, "-1")
    assert version(engine) == HEAD


def test_a_downgrade_before_contract_undoes_it_and_loses_nothing(
    project: tuple[Config, sa.Engine, str],
) -> None:
    config, engine, _ = project
    command.upgrade(config, "head")
    new = Writer(engine, app.titled, "new")
    new.start()
    new.stop.wait(0.5)
    new.finish()
    assert new.errors == []
    command.downgrade(config, BEFORE)  # both zdmigrate revisions, the last first
    assert version(engine) == BEFORE
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("products")}
        assert {"name", "price"} <= columns and "title" not in columns
        found = connection.execute(sa.text("SELECT id, name FROM products WHERE sku LIKE 'new%'"))
        back = {row.id: row.name for row in found}
    assert back == {key: title for key, (title, _) in new.written.items()}
    with engine.connect() as connection:
        indexes = {i["name"] for i in sa.inspect(connection).get_indexes("orders")}
        assert "ix_orders_status" not in indexes
    command.upgrade(config, "head")  # and it can be run again
    assert version(engine) == HEAD


def test_an_upgrade_killed_in_the_backfill_is_resumed_by_the_next(
    project: tuple[Config, sa.Engine, str], tmp_path: Path
) -> None:
    """kill -9 of ``alembic upgrade`` half-way through a zdmigrate backfill: Alembic has not
    recorded the revision, so the next upgrade runs it again, and zdmigrate goes on from its
    checkpoint: every row filled once, none missed."""
    _, engine, url = project
    copy = copy_of_the_example(tmp_path).parent.parent
    env = copy / "alembic" / "env.py"
    slow = "batch_size=200, min_batch_size=200, max_batch_size=200, sleep_ratio=4"
    env.write_text(env.read_text().replace("lock_timeout_ms=500", slow))
    alembic = Path(sys.executable).parent / "alembic"
    upgrade = [str(alembic), "-c", str(copy / "alembic.ini"), "upgrade", "head"]
    process = subprocess.Popen(upgrade, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        with Runner(url) as runner:
            while time.monotonic() < deadline:
                states = {s.id: s for s in runner.status()}
                if TITLES in states and states[TITLES].rows_done >= 2000:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the backfill did not get going")
        process.kill()  # SIGKILL: no cleanup, no rollback by the process
    finally:
        process.wait(timeout=30)
    with Runner(url) as runner:
        killed = {s.id: s for s in runner.status()}[TITLES]
    assert killed.phase == "backfill" and not killed.has_reached("backfill")
    assert version(engine) == BEFORE
    command.upgrade(Config(str(copy / "alembic.ini")), "head")
    assert version(engine) == HEAD
    with Runner(url) as runner:
        done = {s.id: s for s in runner.status()}[TITLES]
    assert done.has_reached("backfill")
    assert done.rows_done == SEEDS  # each row once: the resumed run went on from the checkpoint
    found = rows(engine)
    assert found == {i + 1: (f"Mug {i}", Decimal(i % 50)) for i in range(SEEDS)}


def copy_of_the_example(tmp_path: Path) -> Path:
    """The example project copied, to change: returns its versions folder."""
    copy = tmp_path / "alembic_project"
    shutil.copytree(EXAMPLE.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy / "alembic" / "versions"


def test_contract_is_for_the_revisions_alembic_has_applied(
    project: tuple[Config, sa.Engine, str],
) -> None:
    config, _, url = project
    command.upgrade(config, "head")
    command.downgrade(config, TITLES)  # 9c6e2f4a5b09 is undone: only 8b5d1e3f4a08 applies
    with Runner(url) as runner:
        done = runner.run(EXAMPLE, "contract")
    assert [(d.migration, d.outcome) for d in done] == [(TITLES, "done")]
    result = CliRunner().invoke(main, ["run", "expand", str(EXAMPLE), "--database-url", url])
    assert result.exit_code == 2
    assert "`alembic upgrade` runs the expand and backfill" in result.output


def test_a_zdmigrate_revision_refuses_offline_mode_both_ways(
    project: tuple[Config, sa.Engine, str],
) -> None:
    config, engine, _ = project
    with pytest.raises(CommandError, match="do not run in Alembic's offline mode"):
        command.upgrade(config, f"{BEFORE}:head", sql=True)
    command.upgrade(config, "head")
    with pytest.raises(CommandError, match=r"op.zd_rollback\(\) does not run in Alembic's offline"):
        command.downgrade(config, f"{HEAD}:{TITLES}", sql=True)
    assert version(engine) == HEAD


def test_a_revision_before_that_cannot_be_recorded_is_named(
    project: tuple[Config, sa.Engine, str], tmp_path: Path
) -> None:
    _, engine, _ = project
    versions = copy_of_the_example(tmp_path)
    revision_file(
        versions,
        "aa11",
        HEAD,
        """
        if not sa.inspect(op.get_bind()).has_table("tags"):
            op.create_table(
                "tags", sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.Text)
            )
        """,
    )
    revision_file(versions, "bb22", "aa11", "op.zd_rename_column('tags', 'label', 'name')")
    config = Config(str(versions.parent.parent / "alembic.ini"))
    with pytest.raises(CommandError, match=r"aa11 \(.*aa11_rev.py\) could not be recorded"):
        command.upgrade(config, "head")
    assert version(engine) == "aa11"  # the plain revision ran; the zdmigrate one did not


def test_a_plain_revision_behind_a_long_transaction_fails_fast(
    project: tuple[Config, sa.Engine, str], tmp_path: Path
) -> None:
    """With zdmigrate in env.py, a plain revision's DDL waits at most the lock timeout for
    its lock, instead of queueing the apps' queries behind it; run again, it goes through."""
    _, engine, _ = project
    versions = copy_of_the_example(tmp_path)
    body = "op.add_column('products', sa.Column('color', sa.String(20)))"
    revision_file(versions, "cc33", BEFORE, body)
    for zdmigrate_revision in versions.glob("[89]*_zd_*.py"):
        zdmigrate_revision.unlink()
    config = Config(str(versions.parent.parent / "alembic.ini"))
    with engine.connect() as long_transaction:
        long_transaction.exec_driver_sql("SELECT * FROM products")  # holds its lock, open
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError):
            command.upgrade(config, "head")
        waited = time.monotonic() - started
    assert waited < 5, f"the upgrade waited {waited:.1f} s"
    assert version(engine) == BEFORE
    command.upgrade(config, "head")
    assert version(engine) == "cc33"
