"""Running migrations against a database: everything here does I/O."""
