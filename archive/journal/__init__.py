"""archive.journal."""
