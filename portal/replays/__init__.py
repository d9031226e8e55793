"""portal.replays: replays (VOD) of public hearings after they end, from the archive, showing only what
the public broadcast could show; withdrawable by the court's clerks and judges."""
