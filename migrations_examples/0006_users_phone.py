"""Release 3: customers may leave a phone number for the courier.

A nullable column without a default is a catalog-only change on both servers (PostgreSQL adds
it without touching rows; MySQL 8.0.12+ and MariaDB 10.3+ add it ``ALGORITHM=INSTANT``), and
release 2, which never names it, keeps working.
"""

from sqlalchemy import Column, String

from zdmigrate import Migration, ops

migration = Migration(
    id="0006_users_phone",
    description="users.phone",
    operations=[ops.AddColumn("users", Column("phone", String(30)))],
)
