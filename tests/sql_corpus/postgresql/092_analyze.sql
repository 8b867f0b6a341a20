-- expect: ok
ANALYZE users;
