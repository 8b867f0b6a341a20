-- expect: ZD401
-- server: mysql 8.0.36
ALTER TABLE users MODIFY nick VARCHAR(64);
