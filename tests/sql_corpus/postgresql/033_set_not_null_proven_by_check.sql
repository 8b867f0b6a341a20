-- expect: ok
ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;
