-- expect: ZD405
-- server: mariadb 10.11
ALTER TABLE users ADD FULLTEXT INDEX ft_bio (bio), LOCK=NONE;
