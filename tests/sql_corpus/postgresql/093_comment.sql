-- expect: ok
COMMENT ON COLUMN users.bio IS 'shown on the profile page';
