-- expect: ok
INSERT INTO users (email, name) VALUES ('admin@example.com', 'Admin');
