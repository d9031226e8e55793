"""The alarms a capture agent reports with a recording (``alarms`` in its report): stored on the
recording's index row and shown to staff in Chinese.

An agent sends one line per active alarm, ``"<LEVEL> <condition> ALARM: <detail>"`` (see the capture
agent's spool space alarms), and an empty list once they have cleared. A report without ``alarms``
says nothing about them and leaves the stored ones as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from portal.models import Recording

CONDITION_NAMES = {
    "disk_full": "存储空间已满，录制中断",
    "disk_low": "存储空间即将用尽",
    "upload_mismatch": "上传校验不一致",
    "pipeline_behind": "录制处理落后于实时",
}
_LINE = re.compile(r"^(?P<level>CRITICAL|WARNING) (?P<condition>[a-z_]+) ALARM: (?P<detail>.*)$", re.S)


@dataclass(frozen=True, slots=True)
class AgentAlarm:
    """One active alarm as staff read it: what (in Chinese), how serious, the agent's own words."""

    name: str
    critical: bool
    detail: str


def store_agent_alarms(recording: Recording, lines: Sequence[str], *, now: datetime) -> None:
    """Keep ``lines`` (the agent's active alarms, possibly none) on ``recording`` as of ``now``."""
    recording.agent_alarms = json.dumps(list(lines), ensure_ascii=False)
    recording.agent_alarms_at = now


def agent_alarms(recording: Recording) -> list[AgentAlarm]:
    """The alarms the agent last reported active for ``recording``."""
    return [describe(line) for line in json.loads(recording.agent_alarms or "[]")]


def describe(line: str) -> AgentAlarm:
    """``line`` as staff read it; a line of an unknown shape is shown as it came."""
    match = _LINE.match(line)
    if match is None:
        return AgentAlarm(name="设备告警", critical=False, detail=line)
    condition = match["condition"]
    return AgentAlarm(
        name=CONDITION_NAMES.get(condition, f"设备告警（{condition}）"),
        critical=match["level"] == "CRITICAL",
        detail=match["detail"],
    )
