"""``python -m capture bodycam`` as a real process: SIGUSR1/SIGUSR2 and the local control endpoint
activate and deactivate it, each journaled with its trigger; each activation is a new recording."""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archive.preservation.verify import verify_recording
from archive.store.object_store import ObjectStore
from tests.capture.bodycam.agent_process import SOURCE, start_bodycam
from tests.capture.bodycam.agent_process import post as _post
from tests.capture.bodycam.agent_process import status as _status
from tests.capture.conftest import RunHere, journal_events
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def test_signals_and_the_local_control_activate_and_deactivate(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    options = ("--pre-event-seconds", "2", "--control-port", "0")
    with start_bodycam(spool, *options, device_id="bodycam-7") as bodycam:
        agent = bodycam.process
        port = bodycam.control_port()
        refused = urllib.request.Request(f"http://127.0.0.1:{port}/activate", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as no_token:
            urllib.request.urlopen(refused, timeout=10)
        assert no_token.value.code == 401  # another local user, without the owner-only token file
        assert _status(port)["recording"] == "standby"
        wait_until(lambda: int(str(_status(port)["pre_event_bytes"])) > 0, 30, "pictures in the buffer")
        agent.send_signal(signal.SIGUSR1)
        first = bodycam.read_until("started").split()[1]
        assert _status(port)["recording_id"] == first
        wait_until(lambda: any((spool / "recordings" / first / "cam").glob("*.m4s")), 60, "a segment")
        agent.send_signal(signal.SIGUSR2)
        bodycam.read_until("stopped")
        assert _status(port)["recording"] == "standby"

        status, answer = _post(port, "/activate", {"by": "clerk zhang"})
        assert status == 200 and answer["result"] == "done", answer
        second = bodycam.read_until("started").split()[1]
        assert second != first
        assert _post(port, "/activate")[1]["detail"] == f"already recording {second}"
        status, answer = _post(port, "/deactivate", {"by": 5})  # type: ignore[dict-item]
        assert status == 400 and "'by' must be a text" in str(answer["detail"])
        assert _post(port, "/deactivate")[0] == 200
        bodycam.read_until("stopped")
        assert _post(port, "/delete")[0] == 404  # no such command, on purpose
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=60) == 0

    one = journal_events(spool, first)
    activate = next(e for e in one if e["type"] == "activate")
    deactivate = next(e for e in one if e["type"] == "deactivate")
    assert (activate["trigger"], activate["by"]) == ("signal", "SIGUSR1")
    assert (deactivate["trigger"], deactivate["by"]) == ("signal", "SIGUSR2")
    assert any("pre_event" in e.get("flags", []) for e in one if e["type"] == "segment")  # type: ignore[operator]
    two = journal_events(spool, second)
    activate = next(e for e in two if e["type"] == "activate")
    assert (activate["trigger"], activate["by"]) == ("console", "clerk zhang")
    assert next(e for e in two if e["type"] == "deactivate")["trigger"] == "console"
    assert sorted(p.name for p in (spool / "recordings").iterdir()) == sorted([first, second])


@pytest.mark.parametrize("seconds", ["-1", "121", "lots"])
def test_a_pre_event_window_outside_0_to_120_seconds_is_refused(
    tmp_path: Path, seconds: str, run_capture_here: RunHere
) -> None:
    done = run_capture_here(
        "bodycam", "--spool", str(tmp_path), "--source", SOURCE, "--pre-event-seconds", seconds
    )
    assert done.returncode == 2
    assert "--pre-event-seconds" in done.stderr and "120" in done.stderr, done.stderr
    assert not any(tmp_path.iterdir())


def test_at_the_spool_quota_with_no_store_it_alarms_and_goes_on_recording_deleting_nothing(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool"
    options = ("--pre-event-seconds", "0", "--spool-quota", "200K", "--activate-on-start")
    # no store: nothing is ever confirmed, so nothing may be freed
    with start_bodycam(spool, *options, device_id="bodycam-8") as bodycam:
        recording = bodycam.read_until("started").split()[1]

        def alarm_then_segments() -> bool:
            events = journal_events(spool, recording)
            alarm = next((i for i, e in enumerate(events) if e.get("condition") == "spool_quota"), None)
            return alarm is not None and sum(e["type"] == "segment" for e in events[alarm:]) >= 2

        wait_until(alarm_then_segments, 60, "the quota alarm and two segments sealed after it")
        bodycam.process.send_signal(signal.SIGTERM)
        assert bodycam.process.wait(timeout=60) == 0
    events = journal_events(spool, recording)
    alarm = next(e for e in events if e.get("condition") == "spool_quota")
    assert alarm["active"] is True and "quota of 204800 bytes" in str(alarm["detail"])
    segments = [e for e in events if e["type"] == "segment"]
    assert all((spool / "recordings" / recording / str(e["object"])).is_file() for e in segments)


def test_a_recording_cut_by_kill_9_is_closed_at_the_next_start_without_recording_more(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    with start_bodycam(spool, "--activate-on-start", device_id="bodycam-6") as first:
        recording = first.read_until("started").split()[1]
        stream = spool / "recordings" / recording / "cam"
        wait_until(lambda: len(list(stream.glob("*.m4s"))) >= 2, 60, "two sealed segments")
        first.process.kill()  # SIGKILL: no stop, perhaps a torn segment
        first.process.wait()
    assert journal_events(spool, recording)[-1]["type"] != "stop"

    with start_bodycam(spool, "--pre-event-seconds", "2", device_id="bodycam-6") as second:
        second.read_until("on standby")
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=60) == 0
    events = journal_events(spool, recording)
    assert [e["type"] for e in events[-2:]] == ["stop", "checkpoint"]
    assert "stopped uncleanly" in str(events[-2]["reason"])
    assert any(e["type"] == "gap" and "unclean stop" in str(e["reason"]) for e in events)
    journaled = {str(e["object"]) for e in events if e["type"] == "segment"}
    on_disk = {f"cam/{p.name}" for p in stream.glob("*.m4s")}
    assert on_disk <= journaled  # every sealed segment left on disk is journaled now
    assert [p.name for p in (spool / "recordings").iterdir()] == [recording]  # nothing new without activation


def test_an_activated_recording_with_its_pre_event_segments_is_archived_and_verifies(
    tmp_path: Path, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    options = ("--pre-event-seconds", "2", "--control-port", "0", "--upload-rate", "2M")
    with start_bodycam(spool, *options, device_id="bodycam-5", store=object_store.config) as bodycam:
        agent = bodycam.process
        port = bodycam.control_port()
        wait_until(lambda: int(str(_status(port)["pre_event_bytes"])) > 0, 30, "pictures in the buffer")
        assert _post(port, "/activate", {"by": "officer zhao"})[0] == 200
        recording = bodycam.read_until("started").split()[1]
        wait_until(
            lambda: sum(e["type"] == "segment" for e in journal_events(spool, recording)) >= 2,
            60,
            "two journaled segments (the uploader frees each once the store confirms it)",
        )
        assert _post(port, "/deactivate")[0] == 200
        bodycam.read_until("stopped")
        wait_until(
            lambda: verify_recording(object_store, recording).intact, 60, "the archived recording to verify"
        )
        assert int(str(_status(port)["backlog_segments"])) == 0
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=60) == 0
    events = journal_events(spool, recording)
    assert any("pre_event" in e.get("flags", []) for e in events if e["type"] == "segment")  # type: ignore[operator]
    assert not list((spool / "recordings" / recording / "cam").glob("*.m4s"))  # freed once confirmed
