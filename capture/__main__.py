"""Entry point: ``python -m capture``."""

import sys

from capture.cli import main

sys.exit(main())
