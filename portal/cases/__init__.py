"""portal.cases."""
