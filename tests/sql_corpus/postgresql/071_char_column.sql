-- expect: ZD328
CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);
