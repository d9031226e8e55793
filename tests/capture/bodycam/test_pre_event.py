"""Pre-event buffer, with real encoders: the first segment after an activation at T holds the
pictures from about T - N (read back from the clock the synthetic source burns into each picture),
and nothing older than the window exists in the spool or reached the live path."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from archive.journal import ActivationTrigger
from capture.bodycam.activation import Action, ActivationRequest, Outcome
from capture.bodycam.agent import BodycamAgent, BodycamConfig, BodycamState
from capture.recording.recorder import Recorder
from capture.recording.stream.packet_tap import EncodedVideoPacket
from capture.recording.stream.stream_pipeline import StreamSettings
from devices import parse_source_spec, read_clock_stamp
from tests.waiting import wait_until

from ..conftest import journal_events

pytestmark = pytest.mark.integration

CLOCK_VIDEO = "synthetic#size=320x240&fps=15&audio=1&clock=1&name=cam"
WINDOW = 3.0
GOP = 1.0


def stamps_of(stream_dir: Path) -> list[int]:
    """The burned-in clock (ms, low 32 bits) of every picture in the stream's segments, in order."""
    init = next(stream_dir.glob("init*.mp4")).read_bytes()
    stamps: list[int] = []
    for segment in sorted(stream_dir.glob("*.m4s")):
        path = segment.with_suffix(".check.mp4")
        path.write_bytes(init + segment.read_bytes())
        try:
            with av.open(str(path)) as container:
                for frame in container.decode(video=0):
                    stamp = read_clock_stamp(frame.to_ndarray(format="gray"))
                    assert stamp is not None, f"{segment.name}: a picture without a readable clock"
                    stamps.append(stamp)
        finally:
            path.unlink()
    return stamps


def _ms_before(reference_ms: int, stamp: int) -> float:
    """Seconds ``stamp`` (ms mod 2**32) lies before ``reference_ms`` (negative: after it)."""
    difference = ((reference_ms - stamp + 2**31) & 0xFFFFFFFF) - 2**31
    return difference / 1000


class _Agent:
    def __init__(self, agent: BodycamAgent) -> None:
        self.agent = agent
        self.stop = threading.Event()
        self.thread = threading.Thread(target=agent.run, args=(self.stop,), daemon=True)

    def ask(self, action: Action, trigger: ActivationTrigger = ActivationTrigger.CONSOLE) -> Outcome:
        answers: queue.Queue[Outcome] = queue.Queue()
        self.agent.inbox.put(ActivationRequest(action, trigger, by="test", reply=answers.put))
        return answers.get(timeout=60)


def test_the_first_segment_starts_about_n_seconds_before_the_activation(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    sent: list[EncodedVideoPacket] = []

    def live(recorder: Recorder) -> Callable[[], None]:
        """Stands in for the WHIP publisher: what the live path would have been given."""
        taps = [(p, p.video_packets.subscribe(1000)) for p in recorder.pipelines]

        def stop() -> None:
            for pipeline, tap in taps:
                while not tap.empty():
                    sent.append(tap.get_nowait())
                pipeline.video_packets.unsubscribe(tap)

        return stop

    config = BodycamConfig(
        device_id="bodycam-1",
        court="demo-court",
        unit="bodycam-1",
        spool=spool,
        sources=[parse_source_spec(CLOCK_VIDEO)],
        pre_event_seconds=WINDOW,
        stream=StreamSettings(segment_seconds=2, preset="ultrafast"),
    )
    agent = _Agent(BodycamAgent(config, lambda plan: Recorder(plan, None), live=live))
    standby_started_ms = time.time_ns() // 1_000_000
    agent.thread.start()
    try:
        # a standby well past the window: its older pictures must be gone
        wait_until(lambda: agent.agent.standby_seconds() >= 7, 30, "seven seconds of standby")
        assert not (spool / "recordings").exists(), "something was written to disk on standby"
        activated_ms = time.time_ns() // 1_000_000
        outcome = agent.ask(Action.ACTIVATE)
        assert outcome.done, outcome.detail
        assert agent.agent.state == BodycamState.RECORDING
        recording_id = agent.agent.recording_id
        assert recording_id is not None
        stream_dir = spool / "recordings" / recording_id / "cam"
        wait_until(lambda: len(list(stream_dir.glob("*.m4s"))) >= 3, 60, "three sealed segments")
        assert agent.ask(Action.DEACTIVATE, ActivationTrigger.BUTTON).done
        assert agent.agent.state == BodycamState.STANDBY
    finally:
        agent.stop.set()
        agent.thread.join(timeout=60)

    stamps = stamps_of(stream_dir)
    first_before = _ms_before(activated_ms, stamps[0])
    # the newest keyframe at least N s older than the newest encoded picture (which trails the
    # camera by the encoder's few frames): between N and N + one GOP (+ that delay) before T
    assert WINDOW - 0.1 <= first_before <= WINDOW + GOP + 0.6, first_before
    assert stamps == sorted(stamps)
    # nothing from before the window: the standby ran ~8 s, the oldest kept picture is ~N s old
    assert _ms_before(activated_ms, min(stamps)) < _ms_before(activated_ms, standby_started_ms) - 3

    events = journal_events(spool, recording_id)
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["start", "activate", "origin"], kinds
    activate = events[1]
    assert (
        activate["trigger"] == "console"
        and activate["by"] == "test"
        and activate["pre_event_seconds"] == WINDOW
    )
    segments = [e for e in events if e["type"] == "segment"]
    flagged = [e for e in segments if "pre_event" in e["flags"]]
    assert flagged and segments[0] in flagged
    # flagged: the segments that start before the activation. The agent takes its activation time a
    # little after the test does (and the burned-in clock is the delivery time): allow for that
    reaction = 0.3
    assert all(float(str(e["start_seconds"])) < first_before + reaction for e in flagged), flagged
    unflagged = [e for e in segments if e not in flagged]
    assert all(float(str(e["start_seconds"])) >= first_before - reaction for e in unflagged), unflagged
    assert any("pre_event" not in e["flags"] for e in segments)  # after the buffer: no flag
    deactivate = next(e for e in events if e["type"] == "deactivate")
    assert deactivate["trigger"] == "button" and kinds[-2:] == ["stop", "checkpoint"]

    # the live path got only pictures from after the activation
    assert sent, "the live stand-in received nothing"
    activation_media = first_before
    assert min(p.pts * p.time_base for p in sent) >= activation_media - 0.5


def test_with_no_buffer_nothing_is_opened_on_standby_and_recording_starts_at_activation(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool"
    config = BodycamConfig(
        device_id="bodycam-1",
        court="demo-court",
        unit="bodycam-1",
        spool=spool,
        sources=[parse_source_spec(CLOCK_VIDEO)],
        pre_event_seconds=0,
        stream=StreamSettings(segment_seconds=2, preset="ultrafast"),
    )
    agent = _Agent(BodycamAgent(config, lambda plan: Recorder(plan, None)))
    agent.thread.start()
    try:
        assert agent.agent.standby_bytes() == 0
        activated_ms = time.time_ns() // 1_000_000
        assert agent.ask(Action.ACTIVATE, ActivationTrigger.REMOTE).done
        recording_id = agent.agent.recording_id
        assert recording_id is not None
        stream_dir = spool / "recordings" / recording_id / "cam"
        wait_until(lambda: len(list(stream_dir.glob("*.m4s"))) >= 1, 60, "a sealed segment")
        assert agent.ask(Action.DEACTIVATE).done
    finally:
        agent.stop.set()
        agent.thread.join(timeout=60)
    stamps = stamps_of(stream_dir)
    assert _ms_before(activated_ms, stamps[0]) <= 0.05
    events = journal_events(spool, recording_id)
    assert not [e for e in events if e["type"] == "segment" and e["flags"]]
    assert "pre_event_seconds" not in events[1]


def _first_audio_seconds(stream_dir: Path) -> float:
    """Media time of the first sound in the sound track file's first segment."""
    init = next(stream_dir.glob("init*.mp4")).read_bytes()
    path = stream_dir / "check-audio.mp4"
    path.write_bytes(init + (stream_dir / "00000001.m4s").read_bytes())
    try:
        with av.open(str(path)) as container:
            packet = next(p for p in container.demux(audio=0) if p.pts is not None)
            return float(packet.pts * packet.time_base)
    finally:
        path.unlink()


@pytest.mark.parametrize("keep_audio", [False, True])
def test_sound_is_buffered_only_when_the_policy_says_so(tmp_path: Path, keep_audio: bool) -> None:
    spool = tmp_path / "spool"
    config = BodycamConfig(
        device_id="bodycam-1",
        court="demo-court",
        unit="bodycam-1",
        spool=spool,
        sources=[parse_source_spec(CLOCK_VIDEO)],
        pre_event_seconds=2,
        pre_event_audio=keep_audio,
        stream=StreamSettings(segment_seconds=2, preset="ultrafast"),
    )
    agent = _Agent(BodycamAgent(config, lambda plan: Recorder(plan, None)))
    agent.thread.start()
    try:
        wait_until(lambda: agent.agent.standby_seconds() >= 4, 30, "a standby past the window")
        assert agent.ask(Action.ACTIVATE).done
        recording_id = agent.agent.recording_id
        assert recording_id is not None
        stream_dir = spool / "recordings" / recording_id / "cam"
        wait_until(lambda: len(list(stream_dir.glob("*.m4s"))) >= 2, 60, "two sealed segments")
        assert agent.ask(Action.DEACTIVATE).done
    finally:
        agent.stop.set()
        agent.thread.join(timeout=60)
    first_sound = _first_audio_seconds(stream_dir.parent / "cam.audio")  # the camera's sound track file
    if keep_audio:
        assert first_sound < 0.3, first_sound  # sound from the buffer's start
    else:
        assert first_sound >= 1.9, first_sound  # sound only from the activation, ~2 s in


def test_a_camera_stalled_at_the_activation_does_not_hold_it_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = tmp_path / "spool"
    config = BodycamConfig(
        device_id="bodycam-1",
        court="demo-court",
        unit="bodycam-1",
        spool=spool,
        sources=[
            parse_source_spec("synthetic#size=320x240&fps=15&audio=0&stall_after=1&stall_for=8&name=cam")
        ],
        pre_event_seconds=2,
        stream=StreamSettings(segment_seconds=2, preset="ultrafast"),
    )
    agent = _Agent(BodycamAgent(config, lambda plan: Recorder(plan, None)))
    agent.thread.start()
    try:
        encoded: list[float] = []

        def into_the_stall() -> bool:  # the standby's pictures stopped coming: 4 polls in a row, 0.9 s
            encoded.append(agent.agent.standby_seconds())
            return encoded[-1] >= 0.5 and len(encoded) >= 4 and len(set(encoded[-4:])) == 1

        wait_until(into_the_stall, 30, "the camera to stall after its first second", poll=0.3)
        began = time.monotonic()
        outcome = agent.ask(Action.ACTIVATE)
        assert outcome.done, outcome.detail
        assert time.monotonic() - began < 10
        recording_id = agent.agent.recording_id
        assert recording_id is not None
        stream_dir = spool / "recordings" / recording_id / "cam"
        wait_until(lambda: any(stream_dir.glob("*.m4s")), 60, "a segment from the reopened camera")
        assert agent.ask(Action.DEACTIVATE).done
    finally:
        agent.stop.set()
        agent.thread.join(timeout=60)
    assert "gave no picture at the activation" in caplog.text  # the stalled source was reopened
    events = journal_events(spool, recording_id)
    assert events[1]["type"] == "activate" and "pre_event_seconds" not in events[1]
