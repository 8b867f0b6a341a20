"""Render times outgrow INT and paths outgrow 200 characters: both columns widen.

Neither change can be made in place: INT to BIGINT, and a VARCHAR whose length in bytes passes
255, make MySQL and MariaDB copy the table under a lock that blocks every write
(``ALGORITHM=COPY``). AlterTable makes the copy itself instead, online: a shadow table with the
new definition, triggers that keep it in step, the rows copied in verified chunks during
backfill, and one ``RENAME TABLE`` to swap it in. The original stays, kept in step, until
contract drops it, so a rollback until then loses nothing.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0202_page_views_wider",
    description="page_views.ms as BIGINT, page_views.path up to 500 characters",
    operations=[
        ops.AlterTable(
            "page_views", "MODIFY ms BIGINT NOT NULL, MODIFY path VARCHAR(500) NOT NULL"
        ),
    ],
)
