-- expect: ZD405
-- server: mariadb 10.11
ALTER TABLE users MODIFY legacy_code VARCHAR(300) CHARACTER SET latin1, ALGORITHM=INPLACE;
