-- expect: ZD401
-- server: mysql 8.0.36
ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id);
