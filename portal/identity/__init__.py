"""portal.identity."""
