"""archive.store."""
