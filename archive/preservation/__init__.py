"""archive.preservation."""
