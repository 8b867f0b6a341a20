-- expect: ok
-- server: mariadb 10.11
SET SESSION foreign_key_checks = 0;
ALTER TABLE orders ADD CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id), ALGORITHM=INSTANT;
SET SESSION foreign_key_checks = 1;
