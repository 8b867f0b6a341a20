-- expect: ZD314
ALTER TABLE orders RENAME TO purchases;
