"""Release 6 (PostgreSQL only): an order records where its payment stands, as the
``payment_status`` enum type, so a typo in any app or script is refused by the database.

Creating a type locks no table. The column is added with a default: a catalog change (no
rewrite, PostgreSQL 11+ stores the default in the catalog), and release 5, which does not know
the column, gets ``unpaid`` on its inserts.

Why not turn the existing ``orders.status`` (VARCHAR) into an enum instead? ChangeColumnType
could do it online, but after its swap release 5 would write ``status`` as text, and drivers that
send typed parameters (SQLAlchemy with psycopg 3 sends ``$1::VARCHAR``) are refused: there is no
assignment cast from VARCHAR to an enum type. A new column sidesteps that.
"""

from sqlalchemy import Column, Enum

from zdmigrate import Migration, ops

STATES = ["unpaid", "authorized", "captured"]

migration = Migration(
    id="0101_payment_status",
    description="the payment_status enum type and orders.payment_status",
    operations=[
        ops.CreateEnum("payment_status", STATES),
        ops.AddColumn(
            "orders",
            Column(
                "payment_status",
                Enum(*STATES, name="payment_status", create_type=False),
                nullable=False,
                server_default="unpaid",
            ),
        ),
    ],
)
