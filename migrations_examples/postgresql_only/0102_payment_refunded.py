"""Release 6 (PostgreSQL only): refunds get their own payment status.

``ALTER TYPE … ADD VALUE`` changes only the catalog and locks no table that uses the type. It
runs outside a transaction: a label added inside one cannot be used until it commits. Release 5
never writes ``payment_status``, so it is unaffected. PostgreSQL cannot remove a label, so a
rollback leaves it in the type.

With 0101, brings the schema to ``shop.v6``.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0102_payment_refunded",
    description="payment_status gains 'refunded'",
    operations=[ops.AddEnumValue("payment_status", "refunded")],
)
