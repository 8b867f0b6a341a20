-- expect: ok
ALTER TABLE orders ADD COLUMN referrer_id bigint REFERENCES users (id);
