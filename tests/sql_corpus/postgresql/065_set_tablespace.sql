-- expect: ZD324
ALTER TABLE orders SET TABLESPACE pg_default;
