"""Entry point: ``python -m streaming``."""

import sys

from streaming.server.cli import main

sys.exit(main())
