-- expect: ZD317
ALTER TYPE order_state RENAME VALUE 'shipped' TO 'sent';
