"""Watching a source's health: cheap per-frame metrics and the no-frames, black, frozen and silence
detectors."""
