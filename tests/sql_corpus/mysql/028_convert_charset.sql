-- expect: ZD401
-- server: mariadb 10.11
ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
