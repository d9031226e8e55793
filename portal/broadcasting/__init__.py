"""portal.broadcasting."""
