"""Sources that need no device: the synthetic test pattern and tone (with a burned-in clock stamp),
and media files played as if live."""
