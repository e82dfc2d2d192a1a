"""Pure-Python domain rules: no Qt, no SQL. Everything here is unit-testable on its own."""
