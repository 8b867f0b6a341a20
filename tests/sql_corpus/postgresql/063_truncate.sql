-- expect: ZD323
TRUNCATE orders;
