"""``capture serve --live`` publishes each hearing's recording with that hearing's case number, so
the command-centre wall names the case a courtroom is recording (it said 未关联案件 before)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive.export import RecordingSummary
from capture.live import LiveTarget
from capture.service.live_follower import LiveFollower
from streaming import IcePolicy


@dataclass
class _Recording:
    """A recording session as far as the follower reads it (its summary's case)."""

    case: str

    def summary(self) -> RecordingSummary:
        return RecordingSummary(
            recording_id="r-1",
            court="demo-court",
            room="room-1",
            case=self.case,
            streams=(),
            segment_count=0,
            duration_seconds=0.0,
            started_at=None,
            ended_at=None,
            complete=False,
        )


def test_each_recording_goes_live_with_its_hearing_s_case_number() -> None:
    target = LiveTarget(endpoint="http://127.0.0.1:9/live/whip", token=None, device_id="pc-1", room="room-1")
    follower = LiveFollower(target, IcePolicy.from_lists([], [], []))
    first: Any = _Recording("（2026）京0101民初1号")
    second: Any = _Recording("（2026）京0101民初2号")
    assert follower.target_for(first).case == "（2026）京0101民初1号"
    assert follower.target_for(second).case == "（2026）京0101民初2号"
    assert follower.target_for(_Recording("")).case is None  # an ad hoc recording names no case
    assert target.case is None  # the service's own target is left as it was
