"""Connections: database URLs as users write them, masked passwords, and the server's dialect.

URLs are SQLAlchemy URLs, and the plain forms kept in ``DATABASE_URL`` work too:
``postgresql://`` and ``postgres://`` mean psycopg 3, ``mysql://`` and ``mariadb://`` PyMySQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from zdmigrate.dialects import DIALECTS, Dialect, get_dialect
from zdmigrate.errors import BadInput, ConnectionFailed, UnknownDialect

CONNECT_TIMEOUT_SECONDS = 5
"""How long to wait for a server that does not answer, rather than the driver's minutes."""

PLAIN_SCHEMES = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}

# Drivers that take connect_timeout (seconds) as a connect argument.
TIMEOUT_DRIVERS = ("psycopg", "psycopg2", "pymysql", "mysqldb")


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url``, with a connect timeout unless the URL sets one."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise BadInput(f"not a database URL: {mask_url(url)}") from None
    parsed = parsed.set(drivername=PLAIN_SCHEMES.get(parsed.drivername, parsed.drivername))
    try:
        connect_args: dict[str, object] = {}
        if parsed.get_driver_name() in TIMEOUT_DRIVERS and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        return sa.create_engine(parsed, connect_args=connect_args)
    except (sa.exc.ArgumentError, ImportError) as exc:  # an unknown dialect or missing driver
        raise BadInput(f"{mask_url(url)}: {exc}") from None


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, in the userinfo or the query string."""
    masked = re.sub(r"^([^:/?#]+://[^:/?#@]*:)[^/?#]*@", r"\1***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", masked, flags=re.IGNORECASE)


def dialect_for(connection: sa.Connection) -> Dialect:
    """The zdmigrate dialect of the server ``connection`` talks to, at its version."""
    family = connection.dialect.name
    if family not in DIALECTS:
        raise UnknownDialect(family)
    probe = DIALECTS[family]()  # any version: it only knows how to ask
    version = str(connection.exec_driver_sql(probe.server_version_sql).scalar())
    name, number = probe.identify_server(version)
    return get_dialect(name, number)


@contextmanager
def connect(database: str | sa.Engine) -> Iterator[sa.Connection]:
    """A connection to ``database`` (a URL, or an engine the caller keeps);
    :class:`ConnectionFailed` when the server does not answer."""
    engine = create_engine(database) if isinstance(database, str) else database
    try:
        shown = database if isinstance(database, str) else None
        with open_connection(engine, shown) as connection:
            yield connection
    finally:
        if isinstance(database, str):
            engine.dispose()


def open_connection(engine: sa.Engine, url: str | None = None) -> sa.Connection:
    """``engine.connect()``, with :class:`ConnectionFailed` when the server does not answer,
    naming ``url`` (the URL as the user wrote it; by default the engine's), password masked."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        shown = url or engine.url.render_as_string(hide_password=False)
        raise ConnectionFailed(mask_url(shown), driver_reason(exc)) from None


def driver_reason(exc: sa.exc.DBAPIError) -> str:
    """The driver's own message, first line only: what went wrong, not a traceback."""
    orig = exc.orig
    args: tuple[object, ...] = getattr(orig, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        # PyMySQL's (1205, 'Lock wait timeout exceeded; …'): the message, then its code.
        text = f"{args[1]} (error {args[0]})"
    else:
        text = str(orig) if orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(orig).__name__
