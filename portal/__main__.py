"""Entry point: ``python -m portal``."""

import os
import sys

from portal.cli import main

# Owner only: every directory this command (and any ffmpeg or weed it starts) creates is 0700 and
# every file 0600 (evidence, keys, databases, logs). One line per entry point on purpose: the packages
# may not import each other, and a shared module for one system call would be a utils module.
os.umask(0o077)
sys.exit(main())
