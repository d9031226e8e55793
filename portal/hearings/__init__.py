"""portal.hearings."""
