-- expect: ZD414
-- server: mariadb 10.11
ALTER TABLE invoices MODIFY number VARCHAR(40);
