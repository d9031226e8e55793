"""The courtroom service's planner, driven by a hand-moved clock: lead time, grace, the clerk's close,
cancellations, moves, back-to-back hearings, and a portal that says nothing."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from capture.service import HearingState, Planner, ScheduledHearing, StopReason
from capture.service.schedule.schedule import ScheduleError, parse_schedule
from timebase import ManualClock

LEAD, GRACE = timedelta(minutes=5), timedelta(minutes=60)
START = datetime.fromisoformat("2026-12-03T01:00:00+00:00")  # 09:00 Beijing time


def _hearing(hearing_id: int, start: datetime, minutes: int = 60, **changes: object) -> ScheduledHearing:
    made = ScheduledHearing(
        hearing_id, f"（2026）京0101民初{hearing_id}号", "room-a", start, start + timedelta(minutes=minutes),
        HearingState.SCHEDULED,
    )  # fmt: skip
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START - timedelta(minutes=10))


PLANNER = Planner(lead=LEAD, grace=GRACE)


def test_recording_starts_the_lead_time_before_the_hearing(clock: ManualClock) -> None:
    schedule = [_hearing(1, START)]
    assert PLANNER.decide(schedule, clock.now()).record is None
    clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
    assert PLANNER.decide(schedule, clock.now()).record is None
    clock.advance(1)
    assert PLANNER.decide(schedule, clock.now()).record == schedule[0]


def test_the_clerks_close_stops_the_recording(clock: ManualClock) -> None:
    clock.advance(timedelta(minutes=30))
    closed = _hearing(1, START, state=HearingState.HELD)
    decision = PLANNER.decide([closed], clock.now(), current=_hearing(1, START))
    assert decision.record is None and decision.stop_reason is StopReason.CLOSED


def test_without_the_clerks_close_it_stops_at_expected_end_plus_grace(clock: ManualClock) -> None:
    hearing = _hearing(1, START)
    clock.advance(timedelta(minutes=10 + 60 + 59, seconds=59))
    assert PLANNER.decide([hearing], clock.now(), current=hearing).record == hearing
    clock.advance(1)
    decision = PLANNER.decide([hearing], clock.now(), current=hearing)
    assert decision.record is None and decision.stop_reason is StopReason.GRACE_ENDED


def test_a_portal_that_says_nothing_never_stops_a_recording_early(clock: ManualClock) -> None:
    hearing = _hearing(1, START)
    clock.advance(timedelta(minutes=90))  # the hearing dropped out of the schedule (or no schedule at all)
    assert PLANNER.decide([], clock.now(), current=hearing).record == hearing


def test_a_cancelled_hearing_is_not_recorded_and_a_started_one_stops(clock: ManualClock) -> None:
    cancelled = _hearing(1, START, state=HearingState.CANCELLED)
    clock.advance(timedelta(minutes=10))
    assert PLANNER.decide([cancelled], clock.now()).record is None
    decision = PLANNER.decide([cancelled], clock.now(), current=_hearing(1, START))
    assert decision.stop_reason is StopReason.CANCELLED


def test_a_moved_hearing_is_recorded_at_its_new_time(clock: ManualClock) -> None:
    moved = _hearing(1, START + timedelta(hours=2))
    clock.advance(timedelta(minutes=6))  # within the old lead time: the move stops the early start
    decision = PLANNER.decide([moved], clock.now(), current=_hearing(1, START))
    assert decision.record is None and decision.stop_reason is StopReason.MOVED
    assert not decision.stop_reason.finishes_hearing
    clock.advance(timedelta(hours=2) - timedelta(minutes=1))
    assert PLANNER.decide([moved], clock.now()).record == moved


def test_back_to_back_hearings_hand_over_at_the_next_start(clock: ManualClock) -> None:
    first, second = _hearing(1, START), _hearing(2, START + timedelta(hours=1))
    clock.advance(timedelta(minutes=10 + 57))  # in the second's lead time: the first goes on
    assert PLANNER.decide([first, second], clock.now(), current=first).record == first
    clock.advance(timedelta(minutes=3))
    decision = PLANNER.decide([first, second], clock.now(), current=first)
    assert decision.record == second and decision.stop_reason is StopReason.NEXT_HEARING


def test_the_next_hearing_starts_early_once_the_clerk_closed_the_previous(clock: ManualClock) -> None:
    first, second = _hearing(1, START), _hearing(2, START + timedelta(hours=1))
    clock.advance(timedelta(minutes=10 + 57))
    closed = dataclasses.replace(first, state=HearingState.HELD)
    decision = PLANNER.decide([closed, second], clock.now(), current=first)
    assert decision.record == second and decision.stop_reason is StopReason.CLOSED


def test_a_finished_hearing_is_never_started_again(clock: ManualClock) -> None:
    first, second = _hearing(1, START), _hearing(2, START + timedelta(minutes=30))
    clock.advance(timedelta(minutes=50))  # the second (superseding the first) was closed early
    closed = dataclasses.replace(second, state=HearingState.HELD)
    assert PLANNER.decide([first, closed], clock.now(), finished=frozenset({1})).record is None
    assert PLANNER.decide([first, closed], clock.now()).record == first  # not marked finished: due


def test_negative_lead_or_grace_is_refused() -> None:
    with pytest.raises(ValueError, match="lead and grace must be >= 0"):
        Planner(lead=timedelta(seconds=-1))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[]", "expected a JSON object"),
        (
            '{"court": "c", "room": "r", "generated_at": "2026-12-03T01:00:00+00:00"}',
            "'hearings' must be a list",
        ),
        ('{"court": "c", "room": "r", "generated_at": "2026-12-03T01:00:00", "hearings": []}', "time zone"),
        (
            '{"court": "c", "room": "r", "generated_at": "2026-12-03T01:00:00Z",'
            ' "hearings": [{"hearing_id": 1, "case_number": "x", "courtroom": "r",'
            ' "starts_at": "2026-12-03T01:00:00Z",'
            ' "expected_end_at": "2026-12-03T02:00:00Z", "status": "postponed"}]}',
            "hearing #1: 'status' must be one of scheduled, held, cancelled",
        ),
    ],
)
def test_a_bad_schedule_is_refused_naming_what_is_wrong(document: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(document, where="test")


def test_the_schedule_carries_the_courtroom_name_and_older_portals_may_leave_it_out() -> None:
    hearing = (
        '{"hearing_id": 1, "case_number": "（2026）京0105民初1234号", "courtroom": "room-1",'
        ' "starts_at": "2026-12-03T01:00:00Z", "expected_end_at": "2026-12-03T02:00:00Z",'
        ' "status": "scheduled"%s}'
    )
    document = '{"court": "c", "room": "room-1", "generated_at": "2026-12-03T01:00:00Z", "hearings": [%s]}'
    named = parse_schedule(document % (hearing % ', "courtroom_name": "第一法庭"'), where="test")
    assert named.hearings[0].courtroom_name == "第一法庭"
    assert parse_schedule(named.to_json(), where="cache").hearings == named.hearings  # the cache keeps it
    assert parse_schedule(document % (hearing % ""), where="test").hearings[0].courtroom_name == ""
    with pytest.raises(ScheduleError, match="'courtroom_name' must be a string"):
        parse_schedule(document % (hearing % ', "courtroom_name": 7'), where="test")
