-- expect: ok
ALTER TABLE users ADD COLUMN trial_ends_at timestamptz DEFAULT now() + interval '30 days';
