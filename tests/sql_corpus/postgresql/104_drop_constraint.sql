-- expect: ZD332
ALTER TABLE orders DROP CONSTRAINT orders_user_id_not_null;
