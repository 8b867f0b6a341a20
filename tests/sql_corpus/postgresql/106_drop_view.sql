-- expect: ZD316
DROP VIEW active_users;
