-- expect: ZD310
ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK (VALUE > 0);
