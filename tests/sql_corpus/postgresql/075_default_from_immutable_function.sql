-- expect: ok
CREATE FUNCTION default_plan() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'free' $$;
ALTER TABLE users ADD COLUMN plan text DEFAULT default_plan();
