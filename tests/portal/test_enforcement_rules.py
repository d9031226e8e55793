"""Pure rules of enforcement cases: which case numbers are execution cases, and the coverage rule
(at least N devices recording throughout an action) computed from recording spans and heartbeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.case_number import is_execution_case
from portal.enforcement.coverage import Beat, coverage, heartbeat_intervals

T0 = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("number", "execution"),
    [
        ("（2026）京0105执1234号", True),
        ("(2026)京0105执恢12号", True),
        ("\u30142026\u3015京0105执保\uff13号", True),  # tortoise-shell brackets, a full-width 3
        ("（2026）京0105民初1234号", False),
        ("（2026）京0105执", False),
    ],
)
def test_execution_case_numbers(number: str, execution: bool) -> None:
    assert is_execution_case(number) is execution


def test_two_devices_throughout_satisfy_the_rule() -> None:
    window = (at(0), at(600))
    result = coverage([[(at(-10), at(700))], [(at(0), at(300)), (at(300), at(600))]], 2, window, now=at(650))
    assert result.satisfied and result.shortfalls == () and result.recording_now == 1


def test_a_gap_of_one_device_is_a_shortfall_with_its_times() -> None:
    window = (at(0), at(600))
    result = coverage([[(at(0), at(600))], [(at(0), at(200)), (at(260), at(600))]], 2, window, now=at(100))
    assert not result.satisfied and result.recording_now == 2
    assert [(s.start, s.end, s.recording) for s in result.shortfalls] == [(at(200), at(260), 1)]


def test_no_device_at_all_is_one_shortfall_over_the_whole_window() -> None:
    result = coverage([], 2, (at(0), at(60)), now=at(0))
    assert [(s.start, s.end, s.recording) for s in result.shortfalls] == [(at(0), at(60), 0)]


def test_heartbeats_count_until_the_next_one_and_never_past_the_offline_limit() -> None:
    beats = [Beat(at(0), True), Beat(at(10), True), Beat(at(20), False), Beat(at(30), True)]
    assert heartbeat_intervals(beats, offline=timedelta(seconds=60)) == [
        (at(0), at(10)),
        (at(10), at(20)),
        (at(30), at(90)),  # then silent: counted only up to the offline limit
    ]
