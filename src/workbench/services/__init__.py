"""Use cases: each call is one unit of work and returns the changes it made. No Qt, no SQL."""
