-- expect: ZD320
DELETE FROM orders;
