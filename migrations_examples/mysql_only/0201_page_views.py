"""A page-view log: one row per view, written by the apps, never updated. No foreign keys, so
that later changes can copy the table (a copy would leave a foreign key pointing at the old
table)."""

from sqlalchemy import BigInteger, Column, DateTime, Integer, String

from zdmigrate import Migration, ops

migration = Migration(
    id="0201_page_views",
    description="the page_views log",
    operations=[
        ops.CreateTable(
            "page_views",
            Column("id", BigInteger, primary_key=True, autoincrement=True),
            Column("path", String(200), nullable=False),
            Column("user_id", Integer),
            Column("viewed_at", DateTime, nullable=False),
            Column("ms", Integer, nullable=False),
        ),
    ],
)
