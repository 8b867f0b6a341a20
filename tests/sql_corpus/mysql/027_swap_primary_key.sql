-- expect: ZD402
-- server: mysql 8.0.36
ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, user_id);
