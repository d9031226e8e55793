"""archive.spool."""
