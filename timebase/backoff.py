"""Capped exponential backoff with jitter: how long to wait before the next retry.

Shared by the uploader's retries and the public withdrawals' retries; jitter spreads the retries of
many clients over the second half of each interval so they do not hammer a store together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter (seconds): the wait before retry ``attempt`` (0-based)
    is drawn from [c/2, c] where c = min(cap_seconds, first_seconds * 2**attempt)."""

    first_seconds: float = 0.5
    cap_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not 0 < self.first_seconds <= self.cap_seconds:
            raise ValueError(
                "backoff needs 0 < first_seconds <= cap_seconds"
                f" (got {self.first_seconds}, {self.cap_seconds})"
            )

    def delay(self, attempt: int) -> float:
        """The delay before retry number ``attempt`` (0-based)."""
        ceiling = min(self.cap_seconds, self.first_seconds * (2 ** min(max(attempt, 0), 30)))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
