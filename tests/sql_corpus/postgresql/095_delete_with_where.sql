-- expect: ok
DELETE FROM orders WHERE placed_at < '2020-01-01';
