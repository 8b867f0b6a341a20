-- expect: ZD310
ALTER TABLE orders ADD COLUMN owner_id bigint DEFAULT 1 REFERENCES users (id);
