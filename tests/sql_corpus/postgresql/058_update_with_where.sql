-- expect: ok
UPDATE users SET status = 'active' WHERE id = 42;
