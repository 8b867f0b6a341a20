-- expect: ok
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint NOT NULL);
CREATE INDEX invoices_user_id_idx ON invoices (user_id);
