-- expect: ZD413
-- server: mysql 8.0.36
UPDATE orders SET total = amount / 100;
