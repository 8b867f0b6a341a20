-- expect: ok
ALTER TYPE order_state ADD VALUE 'refunded';
