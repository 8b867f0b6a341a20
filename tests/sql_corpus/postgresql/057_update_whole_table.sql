-- expect: ZD320
UPDATE users SET status = 'active';
