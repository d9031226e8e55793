"""Where every package reads the time: a ``Clock`` seam, the machine's clock and a hand-moved one;
the retry schedule (``Backoff``) that waits on it; and noticing wall-clock steps (``ClockStepDetector``).

A leaf: it imports none of our packages, so devices, archive, capture, streaming and portal may all
use it.
"""

from timebase.backoff import Backoff
from timebase.clock import Clock, ManualClock, SystemClock
from timebase.clock_steps import ClockStep, ClockStepDetector

__all__ = ["Backoff", "Clock", "ClockStep", "ClockStepDetector", "ManualClock", "SystemClock"]
