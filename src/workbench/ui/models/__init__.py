"""Qt item models: thin adapters over immutable rows addressed by id."""
