"""portal.review."""
