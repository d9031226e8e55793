"""Enforcement cases (issue 15, items 5 and 6): enforcement actions with their time, place and
devices, the recordings linked to them, and whether enough devices filmed them throughout."""
