-- expect: ok
DROP INDEX CONCURRENTLY users_email_idx;
