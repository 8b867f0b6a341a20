"""Database URLs, masked passwords, connection failures and the server's dialect."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zdmigrate.dialects import MariaDBDialect, MySQLDialect, PostgreSQLDialect
from zdmigrate.engine import (
    CONNECT_TIMEOUT_SECONDS,
    connect,
    create_engine,
    dialect_for,
    mask_url,
)
from zdmigrate.errors import BadInput, ConnectionFailed


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mysql+pymysql"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("mysql+pymysql://u@h/db", "mysql+pymysql"),
    ],
)
def test_plain_urls_mean_the_project_drivers(url: str, driver: str) -> None:
    engine = create_engine(url)
    try:
        assert engine.url.drivername == driver
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://app:s3cret@db:5432/shop", "postgresql://app:***@db:5432/shop"),
        ("mysql+pymysql://root:p@ss:w@rd@h/db", "mysql+pymysql://root:***@h/db"),
        (
            "postgres://h/db?user=a&password=x&sslmode=require",
            "postgres://h/db?user=a&password=***&sslmode=require",
        ),
        ("postgresql://app@db:5432/shop", "postgresql://app@db:5432/shop"),
        ("postgresql://db:5432/shop", "postgresql://db:5432/shop"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://u:secret@h/db"])
def test_bad_urls_are_bad_input_and_stay_masked(url: str) -> None:
    with pytest.raises(BadInput) as caught:
        create_engine(url)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:secret@127.0.0.1:1/db", "mysql://u:secret@127.0.0.1:1/db"],
)
def test_a_server_that_does_not_answer_is_connection_failed(url: str) -> None:
    with pytest.raises(ConnectionFailed) as caught, connect(url):
        pass
    assert caught.value.url == mask_url(url)
    assert "secret" not in str(caught.value)
    assert "\n" not in caught.value.reason


@pytest.mark.parametrize(
    ("url", "timeout"),
    [
        ("postgresql://u@127.0.0.1:1/db", CONNECT_TIMEOUT_SECONDS),
        ("mysql://u@127.0.0.1:1/db", CONNECT_TIMEOUT_SECONDS),
        ("postgresql://u@127.0.0.1:1/db?connect_timeout=1", "1"),
    ],
)
def test_the_driver_gets_a_connect_timeout(url: str, timeout: object) -> None:
    # Without one, a server that drops packets keeps the driver waiting for minutes.
    engine = create_engine(url)
    seen: dict[str, object] = {}

    @sa.event.listens_for(engine, "do_connect")
    def record(dialect: object, record: object, args: object, kwargs: dict[str, object]) -> None:
        seen.update(kwargs)

    with pytest.raises(sa.exc.OperationalError):
        engine.connect()
    engine.dispose()
    assert seen["connect_timeout"] == timeout


@pytest.mark.mysql
def test_wrong_password_is_connection_failed_without_the_password(
    mysql_engine: sa.Engine,
) -> None:
    url = mysql_engine.url.set(password="wrong-secret").render_as_string(hide_password=False)
    with pytest.raises(ConnectionFailed) as caught, connect(url):
        pass
    assert "wrong-secret" not in str(caught.value)
    assert "***" in caught.value.url


@pytest.mark.postgresql
def test_postgresql_dialect_and_version(pg_engine: sa.Engine) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    with connect(url) as connection:
        dialect = dialect_for(connection)
        major = int(str(connection.exec_driver_sql("SHOW server_version").scalar()).split(".")[0])
    assert isinstance(dialect, PostgreSQLDialect)
    assert dialect.version[0] == major


@pytest.mark.mysql
def test_mysql_or_mariadb_dialect_and_version(mysql_engine: sa.Engine) -> None:
    url = mysql_engine.url.render_as_string(hide_password=False)
    with connect(url) as connection:
        dialect = dialect_for(connection)
        version = str(connection.exec_driver_sql("SELECT VERSION()").scalar())
    assert isinstance(dialect, MySQLDialect)
    assert isinstance(dialect, MariaDBDialect) == ("mariadb" in version.lower())
    assert ".".join(map(str, dialect.version)) == version.split("-")[0]
