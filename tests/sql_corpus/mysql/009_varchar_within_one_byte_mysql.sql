-- expect: ok
-- server: mysql 8.0.36
-- users.nick is VARCHAR(20) utf8mb4 (80 bytes); 63 characters are 252 bytes.
ALTER TABLE users MODIFY nick VARCHAR(63), ALGORITHM=INPLACE, LOCK=NONE;
