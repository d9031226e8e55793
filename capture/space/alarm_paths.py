"""Where the agent's disk-independent alarms go besides the log: the portal heartbeat and live telemetry.

A full spool cannot be journaled until space is back, so the people who must act hear of it through
paths that need no disk: the console (the log on stderr), a report to the portal carrying the active
alarms, and each live telemetry report (state ``degraded`` with the alarm lines).
"""

from __future__ import annotations

from capture.portal_report import PortalReporter
from capture.recording.recorder import Recorder


def active_alarm_lines(recorder: Recorder) -> list[str]:
    """One line per alarm of the recorder that is active now (for heartbeats and telemetry)."""
    return [alarm.line() for alarm in recorder.space.active]


def report_space_alarms(recorder: Recorder, reporter: PortalReporter) -> None:
    """Send the portal a report with the active alarms whenever a space alarm is raised or cleared."""
    recorder.space.add_sink(
        lambda _alarm: reporter.report(recorder.summary(), alarms=active_alarm_lines(recorder))
    )
