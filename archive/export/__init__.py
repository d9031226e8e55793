"""archive.export."""
