-- The database the test suite's default TEST_DATABASE_URL names (postgres://postgres@127.0.0.1:5432/test).
CREATE DATABASE test;
