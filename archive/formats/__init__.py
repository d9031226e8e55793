"""archive.formats."""
