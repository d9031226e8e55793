"""Where every package reads the time: a ``Clock`` seam, the machine's clock and a hand-moved one.

A leaf: it imports none of our packages, so devices, archive, capture, streaming and portal may all
use it.
"""

from timebase.clock import Clock, ManualClock, SystemClock

__all__ = ["Clock", "ManualClock", "SystemClock"]
