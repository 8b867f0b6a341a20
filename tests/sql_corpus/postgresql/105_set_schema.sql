-- expect: ZD314
ALTER TABLE orders SET SCHEMA archive;
