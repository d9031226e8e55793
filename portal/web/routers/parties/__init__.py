"""Routes for a signed-in party: the own case and granted playback."""
