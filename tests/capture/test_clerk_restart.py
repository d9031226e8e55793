"""The clerk's pause and sealed span in a real ``python -m capture serve`` killed with -9 and stopped
with SIGTERM mid-span (portal unreachable throughout): after the kill the recording is still paused
and sealed, every stop journals the open spans' ends first (by the system, with the stop's reason),
the restart after a SIGTERM reopens them, and in the end every span in the journal is closed. The last
readiness check is shown on the console after each restart. Pictures 320x240 @ 15 fps."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.journal.clerk_events import BY_SYSTEM
from tests.capture.conftest import journal_events
from tests.capture.test_clerk_console import CLERK, Serve, _csrf, _events, _recording, _state
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

SEAL_REASON = "出示涉及商业秘密的证据"


def _post(serve: Serve, path: str, body: dict[str, Any]) -> None:
    answer = httpx.post(f"{serve.url}{path}", json=body, headers={"X-Console-CSRF": _csrf(serve)}, timeout=60)
    assert answer.status_code == 200, answer.text


def _paused_and_sealed(serve: Serve, recording_id: str) -> None:
    def both() -> bool:
        state = _state(serve)
        return (
            state["recording_id"] == recording_id and state["state"] == "paused" and state["seal"] is not None
        )

    wait_until(both, 90, "the recording to be paused and sealed", poll=0.2)


def _types(serve: Serve, recording_id: str) -> list[str]:
    spans = {"start", "stop", "pause", "resume", "seal_begin", "seal_end"}
    return [str(e["type"]) for e in journal_events(serve.spool, recording_id) if e["type"] in spans]


def test_pause_and_seal_survive_kill_9_and_every_stop_closes_them(tmp_path: Path) -> None:
    first = Serve(tmp_path, hearing=True)
    try:
        first.wait_up()
        recording_id = _recording(first)
        _post(first, "/api/pause", {"by": CLERK, "code": "recess"})
        _post(first, "/api/seal/begin", {"by": CLERK, "reason": SEAL_REASON})
        _post(first, "/api/readiness", {"by": CLERK, "cameras": [], "microphones": []})
        _paused_and_sealed(first, recording_id)
        checked = _state(first)["readiness"]
        assert checked is not None and checked["by"] == CLERK and checked["ready"] is False
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
    finally:
        first.stop()

    second = Serve(tmp_path, hearing=False)  # the schedule from the cache, the state from the spool
    try:
        second.wait_up()
        _paused_and_sealed(second, recording_id)  # the same recording, still paused and sealed
        state = _state(second)
        assert state["readiness"] == checked  # the last readiness check, as the clerk saw it
        assert (state["pause"]["by"], state["seal"]["by"], state["seal"]["reason"]) == (
            CLERK,
            CLERK,
            SEAL_REASON,
        )
        assert (
            _events(second, recording_id, "resume") == [] and _events(second, recording_id, "seal_end") == []
        )
    finally:
        second.stop()  # SIGTERM: the service's own stop closes the spans first
    [resume] = _events(second, recording_id, "resume")
    [seal_end] = _events(second, recording_id, "seal_end")
    assert resume["by"] == seal_end["by"] == BY_SYSTEM
    assert "recorder service stopped" in str(resume["reason"]) and "while sealed" in str(seal_end["reason"])
    assert _types(second, recording_id)[-3:] == ["resume", "seal_end", "stop"]

    third = Serve(tmp_path, hearing=False)
    try:
        third.wait_up()
        _paused_and_sealed(third, recording_id)  # reopened in the journal by the system
        reopened = _events(third, recording_id, "seal_begin")[-1]
        assert reopened["by"] == BY_SYSTEM and SEAL_REASON in str(reopened["reason"])
        assert _events(third, recording_id, "pause")[-1]["code"] == "recess"
        assert _state(third)["readiness"] == checked
        _post(third, "/api/stop", {"by": CLERK, "confirm_early": True})
    finally:
        third.stop()
    kinds = _types(third, recording_id)
    assert kinds[-3:] == ["resume", "seal_end", "stop"]
    assert kinds.count("pause") == kinds.count("resume") == 2
    assert kinds.count("seal_begin") == kinds.count("seal_end") == 2
