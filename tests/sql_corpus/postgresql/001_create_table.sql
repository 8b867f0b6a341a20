-- expect: ok
CREATE TABLE invoices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL,
    total numeric(12, 2) NOT NULL DEFAULT 0,
    issued_at timestamptz NOT NULL DEFAULT now()
);
