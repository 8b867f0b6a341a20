-- expect: ZD312
ALTER TABLE legacy ADD PRIMARY KEY (id);
