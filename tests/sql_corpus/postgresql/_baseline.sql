-- The database every corpus case runs against: these tables exist and hold rows.
-- Loaded through zdmigrate's own analyzer into a schema model (squawk sees none of it).
CREATE TYPE order_state AS ENUM ('new', 'paid', 'shipped');
CREATE TYPE mood AS ENUM ('happy', 'sad');

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(100) NOT NULL,
    name text,
    status varchar(20),
    age integer,
    bio varchar(200),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (email);

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id bigint,
    amount numeric(10, 2),
    currency char(3),
    note text,
    placed_at timestamp,
    state order_state NOT NULL DEFAULT 'new',
    CONSTRAINT orders_user_id_not_null CHECK (user_id IS NOT NULL)
);
CREATE INDEX orders_user_id_idx ON orders (user_id);

CREATE TABLE legacy (id bigint, payload text);
CREATE TABLE archive (LIKE orders);

CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');

CREATE MATERIALIZED VIEW order_totals AS
    SELECT user_id, sum(amount) AS total FROM orders GROUP BY user_id;
CREATE UNIQUE INDEX order_totals_user_id_idx ON order_totals (user_id);
CREATE VIEW active_users AS SELECT * FROM users WHERE status = 'active';
