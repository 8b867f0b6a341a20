-- expect: ZD401
-- server: mariadb 10.11
ALTER TABLE users MODIFY status ENUM('pending','active','blocked') NOT NULL DEFAULT 'active';
