"""The microphones' mixed track (issue 14 item 4): a recording with several microphones records each as
its own stream and also their sum as the stream ``mix``, made from the recorder's own frames, sealed,
journaled and verified like every stream — a silent microphone adds nothing, a tone keeps its level,
and a microphone that drops out does not stop the mix."""

from __future__ import annotations

import signal
import subprocess
from datetime import datetime
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from archive.preservation.verify import find_prefix, verify_recording
from archive.store.object_store import ObjectStore
from tests.waiting import wait_until

from .conftest import RunAgent, agent_command, journal_events, store_env

pytestmark = pytest.mark.integration

RATE = 48000
TONE_RMS = 0.5 / np.sqrt(2)  # the synthetic tone: -6 dBFS peak


def _decoded(
    store: ObjectStore, prefix: str, events: list[dict[str, object]], stream: str, work: Path
) -> npt.NDArray[np.float32]:
    """The stream's sound (mono, 48 kHz), decoded from its init and every journaled segment in order."""
    inits = [e for e in events if e["type"] == "init" and e["stream"] == stream]
    segments = [e for e in events if e["type"] == "segment" and e["stream"] == stream]
    assert inits and segments, stream
    data = store.read_bytes(f"{prefix}/{inits[0]['object']}")
    data += b"".join(store.read_bytes(f"{prefix}/{s['object']}") for s in segments)
    path = work / f"{stream}.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        chunks = [frame.to_ndarray()[0] for frame in container.decode(audio=0)]
    return np.concatenate(chunks).astype(np.float32)


def _rms(samples: npt.NDArray[np.float32]) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def _tone_level(samples: npt.NDArray[np.float32], hz: float) -> float:
    """The RMS of ``samples``' component at ``hz`` (a windowed spectrum's peak around it)."""
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window)) / (np.sum(window) / 2)
    bins = np.fft.rfftfreq(len(samples), 1 / RATE)
    near = (bins > hz - 15) & (bins < hz + 15)
    return float(spectrum[near].max() / np.sqrt(2))


def test_several_microphones_are_recorded_with_their_mix(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    mic = "synthetic#video=0&audio=1"
    result = run_agent(
        "record",
        "--room", "court-5",
        "--recording-id", "rec-mix",
        "--spool", str(spool),
        "--duration", "5",
        "--segment-seconds", "2",
        "--source", "synthetic#size=320x240&fps=15&audio=0&name=cam",
        "--source", f"{mic}&tone=440&end_after=1.5&name=mic-1",  # drops out after 1.5 s
        "--source", f"{mic}&tone=1000&name=mic-2",
        "--source", f"{mic}&tone=700&silence_after=0&name=mic-3",  # switched on, nobody speaking
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    events = journal_events(spool, "rec-mix")
    start = next(e for e in events if e["type"] == "start")
    declared = {s["name"]: s for s in start["streams"]}  # type: ignore[attr-defined]
    assert set(declared) == {"cam", "mic-1", "mic-2", "mic-3", "mix"}
    assert declared["mix"]["source"] == "mix:mic-1+mic-2+mic-3"
    assert declared["mix"]["audio"]["codec"] == "aac" and declared["mix"]["format"] == "cmaf"
    assert any(e["type"] == "origin" and e["stream"] == "mix" for e in events)

    prefix = find_prefix(object_store, "rec-mix")
    mix = _decoded(object_store, prefix, events, "mix", tmp_path)
    mic2 = _decoded(object_store, prefix, events, "mic-2", tmp_path)
    # the mix goes on after mic-1 dropped out: as long as the microphone still delivering
    assert len(mix) / RATE > len(mic2) / RATE - 0.5, (len(mix), len(mic2))
    assert len(mix) / RATE > 4.0

    both = mix[int(0.3 * RATE) : int(1.3 * RATE)]  # mic-1 and mic-2 (and the silent mic-3)
    assert _tone_level(both, 440) == pytest.approx(TONE_RMS, rel=0.15)
    assert _tone_level(both, 1000) == pytest.approx(TONE_RMS, rel=0.15)
    assert _tone_level(both, 700) < 0.01  # the silent microphone adds nothing
    after = mix[int(2.5 * RATE) : int(4.0 * RATE)]  # mic-1 gone: mic-2's tone at its own level
    assert _rms(after) == pytest.approx(TONE_RMS, rel=0.1)
    assert _tone_level(after, 1000) == pytest.approx(TONE_RMS, rel=0.15)
    assert _tone_level(after, 440) < 0.01

    # on the recording's media time: mic-2's samples sit in the mix where their origins put them
    origins = {
        e["stream"]: datetime.fromisoformat(str(e["t_origin_utc"])) for e in events if e["type"] == "origin"
    }
    shift = round((origins["mic-2"] - origins["mix"]).total_seconds() * RATE)
    lags = range(-20, 21)  # under half the 1000 Hz period: one best fit
    ours = mic2[int(2.5 * RATE) - shift : int(3.5 * RATE) - shift]
    fits = [float(np.dot(mix[int(2.5 * RATE) + lag : int(3.5 * RATE) + lag], ours)) for lag in lags]
    assert abs(lags[int(np.argmax(fits))]) <= 2, lags[int(np.argmax(fits))]

    report = verify_recording(object_store, "rec-mix")
    assert report.intact, report.problems
    assert "mix" in report.streams


def test_one_microphone_has_no_mix(tmp_path: Path, run_agent: RunAgent) -> None:
    spool = tmp_path / "spool"
    result = run_agent(
        "record", "--room", "court-5", "--recording-id", "rec-one-mic", "--spool", str(spool),
        "--duration", "2", "--source", "synthetic#video=0&audio=1&name=mic-1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    start = next(e for e in journal_events(spool, "rec-one-mic") if e["type"] == "start")
    assert [s["name"] for s in start["streams"]] == ["mic-1"]  # type: ignore[attr-defined]


def test_a_source_named_mix_is_refused_beside_several_microphones(
    tmp_path: Path, run_agent: RunAgent
) -> None:
    result = run_agent(
        "record", "--room", "court-5", "--recording-id", "rec-bad-mix", "--spool", str(tmp_path / "spool"),
        "--duration", "2",
        "--source", "synthetic#video=0&audio=1&name=mic-1",
        "--source", "synthetic#video=0&audio=1&name=mix",
    )  # fmt: skip
    assert result.returncode != 0
    assert "'mix' is taken by the microphones' mixed track" in result.stderr


def test_kill_9_mid_recording_the_mix_is_salvaged_and_goes_on(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    arguments = ["record", "--room", "court-5", "--recording-id", "rec-mix-crash", "--spool", str(spool)]
    arguments += ["--segment-seconds", "2"]
    for name, hz in (("mic-1", 440), ("mic-2", 1000)):
        arguments += ["--source", f"synthetic#video=0&audio=1&tone={hz}&name={name}"]
    agent = subprocess.Popen(
        agent_command(*arguments),
        env=store_env(object_store.config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        torn = spool / "recordings" / "rec-mix-crash" / "mix" / "00000002.m4s.tmp"
        wait_until(
            lambda: torn.exists() and torn.stat().st_size > 0, 30, "the mix's second segment", poll=0.05
        )
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    result = run_agent(*arguments, "--duration", "3")
    assert result.returncode == 0, result.stderr
    events = journal_events(spool, "rec-mix-crash")
    mixed = [e for e in events if e["type"] == "segment" and e["stream"] == "mix"]
    assert any(e["segment"] == 2 and e["flags"] == ["partial"] for e in mixed), mixed  # salvaged
    assert max(int(str(e["segment"])) for e in mixed) >= 3  # and recorded on after the restart
    assert len([e for e in events if e["type"] == "origin" and e["stream"] == "mix"]) == 2
    report = verify_recording(object_store, "rec-mix-crash")
    assert report.intact, report.problems


def test_every_microphone_stalling_is_a_gap_in_the_mix_which_then_goes_on(
    tmp_path: Path, run_agent: RunAgent, object_store: ObjectStore
) -> None:
    spool = tmp_path / "spool"
    arguments = ["record", "--room", "court-5", "--recording-id", "rec-mix-stall", "--spool", str(spool)]
    arguments += ["--segment-seconds", "2", "--duration", "7"]
    for name, hz in (("mic-1", 440), ("mic-2", 1000)):  # both give nothing from 1 s to 4 s
        arguments += [
            "--source",
            f"synthetic#video=0&audio=1&tone={hz}&stall_after=1&stall_for=3&name={name}",
        ]
    result = run_agent(*arguments)
    assert result.returncode == 0, result.stderr
    events = journal_events(spool, "rec-mix-stall")
    [gap] = [e for e in events if e["type"] == "gap" and e["stream"] == "mix"]
    assert gap["reason"] == "no microphone delivered sound"
    [origin] = [
        datetime.fromisoformat(str(e["t_origin_utc"]))
        for e in events
        if e.get("stream") == "mix" and e["type"] == "origin"
    ]
    gap_from = (datetime.fromisoformat(str(gap["from"])) - origin).total_seconds()
    gap_to = (datetime.fromisoformat(str(gap["to"])) - origin).total_seconds()
    assert abs(gap_from - 1.0) < 0.1 and 3.0 < gap_to < 4.3, (gap_from, gap_to)  # on the mix's media time
    assert 2.0 < float(str(gap["seconds"])) < 3.5, gap
    mixed = [e for e in events if e["type"] == "segment" and e["stream"] == "mix"]
    assert max(datetime.fromisoformat(str(e["t_end_utc"])) for e in mixed) > datetime.fromisoformat(
        str(gap["to"])
    )
    report = verify_recording(object_store, "rec-mix-stall")
    assert report.intact, report.problems
