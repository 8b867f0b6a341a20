-- expect: ok
DROP TYPE mood;
