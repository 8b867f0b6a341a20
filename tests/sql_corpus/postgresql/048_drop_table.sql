-- expect: ZD316
DROP TABLE legacy;
