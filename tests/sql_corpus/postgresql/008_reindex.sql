-- expect: ZD303
REINDEX INDEX users_email_idx;
