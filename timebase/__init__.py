"""Where every package reads the time: a ``Clock`` seam, the machine's clock and a hand-moved one;
and the retry schedule (``Backoff``) that waits on it.

A leaf: it imports none of our packages, so devices, archive, capture, streaming and portal may all
use it.
"""

from timebase.backoff import Backoff
from timebase.clock import Clock, ManualClock, SystemClock

__all__ = ["Backoff", "Clock", "ManualClock", "SystemClock"]
