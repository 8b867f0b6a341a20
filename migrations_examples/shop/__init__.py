"""A small shop app, its models at each release: ``v1`` … ``v5``.

Each module is the app's SQLAlchemy models as that release ships them, with its own ``Base``
and ``metadata``. The migrations in ``migrations_examples/`` take the database from one release
to the next; each module's docstring names the migration that brings the schema to it.
"""
