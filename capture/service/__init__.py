"""The courtroom recorder as a service (``python -m capture serve``): the room's schedule from the
portal (cached on disk), a planner deciding which hearing records now, the loop that starts and stops
the recorder by it, and the state reports to the portal."""

from capture.service.schedule.planner import Decision, Planner, StopReason
from capture.service.schedule.schedule import HearingState, RoomSchedule, ScheduledHearing, parse_schedule

__all__ = [
    "Decision",
    "HearingState",
    "Planner",
    "RoomSchedule",
    "ScheduledHearing",
    "StopReason",
    "parse_schedule",
]
