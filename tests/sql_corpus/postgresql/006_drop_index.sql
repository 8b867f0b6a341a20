-- expect: ZD302
DROP INDEX users_email_idx;
