-- expect: ok
DO $$ BEGIN RAISE NOTICE 'hello'; END $$;
