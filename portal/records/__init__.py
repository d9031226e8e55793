"""portal.records."""
