-- expect: ZD318
DROP TYPE order_state;
