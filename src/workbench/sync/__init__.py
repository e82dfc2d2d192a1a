"""Team sync (see shared/SYNC.md) arrives with the sync capability."""
