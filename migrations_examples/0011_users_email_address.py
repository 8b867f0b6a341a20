"""Release 4: ``users.email`` is renamed ``email_address``, the name the rest of the company's
services use.

A plain RENAME COLUMN would break release 3 the moment it ran. RenameColumn adds
``email_address``, keeps both columns in step with a trigger while releases 3 and 4 both run,
copies existing rows in batches, builds the unique index on the new column online, and drops
``email`` in contract.

With 0008, 0009 and 0010, brings the schema to ``shop.v4``.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0011_users_email_address",
    description="users.email → email_address",
    operations=[ops.RenameColumn("users", "email", "email_address")],
)
