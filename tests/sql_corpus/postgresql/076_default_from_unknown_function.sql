-- expect: ZD306
ALTER TABLE users ADD COLUMN plan text DEFAULT pick_plan();
