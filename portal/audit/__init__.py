"""portal.audit."""
