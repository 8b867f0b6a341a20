-- expect: ok
BEGIN;
ALTER TYPE order_state ADD VALUE 'refunded';
COMMIT;
