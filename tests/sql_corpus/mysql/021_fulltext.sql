-- expect: ZD403
-- server: mysql 8.0.36
ALTER TABLE users ADD FULLTEXT INDEX ft_bio (bio);
