-- expect: ZD304
-- server: 11
BEGIN;
ALTER TYPE order_state ADD VALUE 'refunded';
COMMIT;
