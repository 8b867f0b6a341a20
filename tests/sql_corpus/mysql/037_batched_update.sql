-- expect: ok
-- server: mysql 8.0.36
UPDATE orders SET total = amount / 100 WHERE id BETWEEN 1 AND 1000;
