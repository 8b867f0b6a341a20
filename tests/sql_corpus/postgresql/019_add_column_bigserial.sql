-- expect: ZD306
ALTER TABLE legacy ADD COLUMN seq bigserial;
