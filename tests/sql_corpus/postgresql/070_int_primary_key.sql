-- expect: ZD327
CREATE TABLE tags (id serial PRIMARY KEY, label text NOT NULL);
