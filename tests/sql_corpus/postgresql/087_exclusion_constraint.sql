-- expect: ZD312
ALTER TABLE orders ADD CONSTRAINT orders_one_open EXCLUDE USING btree (user_id WITH =) WHERE (state = 'new');
