"""Fixtures for tests against the real PostgreSQL and MariaDB/MySQL servers.

The servers are the ones this project's machines run (see README); ZDMIGRATE_TEST_PG_URL and
ZDMIGRATE_TEST_MYSQL_URL point the tests elsewhere. Where neither answers and Docker does,
testcontainers starts them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from zdmigrate.dialects import Dialect, get_dialect

PG_URL = os.environ.get(
    "ZDMIGRATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("ZDMIGRATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def _answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _container_url(kind: str) -> Iterator[str]:
    """A server in a container, for machines without the local servers but with Docker."""
    try:
        if kind == "postgresql":
            from testcontainers.postgres import PostgresContainer

            with PostgresContainer("postgres:15", driver="psycopg") as pg:
                yield pg.get_connection_url()
        else:
            from testcontainers.mysql import MySqlContainer

            with MySqlContainer("mariadb:10.11") as my:
                yield my.get_connection_url()
    except Exception as exc:  # no Docker: say which server is missing
        pytest.fail(f"no {kind} server at the test URL and none could be started: {exc}")


def _engine(url: str, kind: str) -> Iterator[sa.Engine]:
    if _answers(url):
        engine = sa.create_engine(url)
        yield engine
        engine.dispose()
        return
    for container_url in _container_url(kind):
        engine = sa.create_engine(container_url)
        yield engine
        engine.dispose()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[sa.Engine]:
    yield from _engine(PG_URL, "postgresql")


@pytest.fixture(scope="session")
def mysql_engine() -> Iterator[sa.Engine]:
    yield from _engine(MYSQL_URL, "mysql")


def server_dialect(engine: sa.Engine) -> Dialect:
    with engine.connect() as connection:
        version = str(connection.exec_driver_sql("SELECT VERSION()").scalar())
    if engine.dialect.name == "postgresql":
        return get_dialect("postgresql", version.split()[1])
    return get_dialect("mariadb" if "mariadb" in version.lower() else "mysql", version)


@pytest.fixture(params=["postgresql", "mysql"])
def db(request: pytest.FixtureRequest) -> tuple[sa.Engine, Dialect]:
    """Each test that takes ``db`` runs once on PostgreSQL and once on MariaDB/MySQL."""
    engine: sa.Engine = request.getfixturevalue(
        "pg_engine" if request.param == "postgresql" else "mysql_engine"
    )
    return engine, server_dialect(engine)
