-- expect: ZD305
VACUUM FULL orders;
