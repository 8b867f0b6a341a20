-- expect: ok
-- server: mysql 8.0.36
CREATE TABLE invoices (id BIGINT PRIMARY KEY, number VARCHAR(20) NOT NULL, amount INT);
ALTER TABLE invoices MODIFY amount BIGINT, ADD CHECK (amount > 0), ADD FULLTEXT INDEX ft (number);
UPDATE invoices SET amount = 0;
ALTER TABLE invoices RENAME COLUMN number TO code;
DROP TABLE invoices;
