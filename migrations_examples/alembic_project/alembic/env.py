"""Alembic's env.py for the shop example: the stock template, with zdmigrate's two lines (the
import, and ``**zdmigrate.alembic.configure(...)``), reading the database URL from
ZDMIGRATE_DATABASE_URL (or ``-x url=...``) when it is given."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

import zdmigrate.alembic

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
if url := context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
    "ZDMIGRATE_DATABASE_URL"
):
    config.set_main_option("sqlalchemy.url", url)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        # zdmigrate's options: for the expand and backfill of op.zd_* operations, and the lock
        # timeout for plain revisions too.
        options = zdmigrate.alembic.configure(connection, lock_timeout_ms=500)
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
