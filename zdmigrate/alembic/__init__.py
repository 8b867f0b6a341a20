"""zdmigrate and Alembic.

- :mod:`zdmigrate.alembic.history` reads a plain Alembic history from its ``alembic.ini``;
- :mod:`zdmigrate.alembic.record` records each revision offline as SQL to plan
  (``zdmigrate plan alembic.ini [--range A:B]``).
"""
