"""archive.retention."""
