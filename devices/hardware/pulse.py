"""PulseAudio / PipeWire microphones, recorded with the ``parec`` program.

PyAV's wheel is built without FFmpeg's ``pulse`` input, so ``av.open(name, format="pulse")`` is
not available; ``parec`` (package pulseaudio-utils; works against PipeWire's pulse server too)
streams raw PCM on its stdout instead, which is simple to frame and to stop. (``alsa:default``
is the other route on desktops where ALSA's default PCM is routed to PulseAudio.)
"""

from __future__ import annotations

import fcntl
import io
import logging
import select
import shutil
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import IO

import av
import numpy as np

from devices import options as opt
from devices.errors import DeviceNotFoundError, SourceOpenError
from devices.formats import AudioFormat, VideoFormat
from devices.hardware.discovery import LIST_DEVICES_HINT, pulse_sources
from devices.spec import SourceKind, SourceSpec

__all__ = ["PulseSource"]

logger = logging.getLogger(__name__)


SAMPLES_PER_FRAME = 1024
_DEFAULT_NAMES = ("default", "@DEFAULT_SOURCE@")
_START_TIMEOUT_SECONDS = 3.0
_STOP_TIMEOUT_SECONDS = 2.0
LOST_SOUND_SECONDS = 0.25
"""Sound more than this far behind the clock (beyond the pipe's backlog) was lost, not late."""
_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


class PulseSource:
    """Audio from a PulseAudio/PipeWire source: s16 frames of 1024 samples, ``time_base`` 1/rate.

    ``pts`` counts samples since the start on the monotonic clock: samples received, plus those
    the server lost. When the sound read falls more than LOST_SOUND_SECONDS behind the clock (a
    server-side overrun, a stalled ``parec``), beyond what is still waiting in the pipe, ``pts``
    jumps by what was lost, so the recording declares the hole instead of closing it up.
    Defaults: 48000 Hz, mono. ``close()`` stops ``parec`` at once, which ends the generator from
    any thread.
    """

    def __init__(
        self,
        spec: SourceSpec,
        *,
        parec: str = "parec",
        pactl: str | None = "pactl",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start ``parec`` for ``spec.location`` and wait (up to 3 s) for it to produce sound.

        ``parec``/``pactl`` name the programs (tests pass fakes; ``pactl=None`` skips the check
        that the source exists); ``monotonic`` is the clock lost sound is measured against.

        Raises:
            DeviceNotFoundError: ``pactl`` lists the sources and this one is not among them.
            SourceOpenError: ``parec`` is missing, exits, or produces nothing within 3 s.
        """
        if spec.kind is not SourceKind.PULSE:
            raise ValueError(f"not a pulse spec: {spec!r}")
        self.spec = spec
        self._rate = opt.parse_int(spec.option("rate", "48000"), 8000, 192_000)
        self._channels = opt.parse_int(spec.option("channels", "1"), 1, 8)
        self._label = f"PulseAudio source {spec.location}"
        self._monotonic = monotonic
        program = shutil.which(parec)
        if program is None:
            raise SourceOpenError(
                f"cannot open {self._label}: the '{parec}' program is missing (install pulseaudio-utils); "
                "PyAV has no PulseAudio input"
            )
        self._check_exists(pactl)
        self._stop = threading.Event()
        try:
            self._process = subprocess.Popen(
                self._command(program), stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise SourceOpenError(f"cannot open {self._label}: cannot run {program}: {exc}") from exc
        self._await_sound()

    @property
    def video(self) -> VideoFormat | None:
        """Always None: a microphone."""
        return None

    @property
    def audio(self) -> AudioFormat:
        """The requested rate and channel count (``parec`` resamples to them)."""
        return AudioFormat(self._rate, self._channels)

    def frames(self) -> Iterator[av.AudioFrame]:
        """Yield audio frames as they are recorded; raises SourceOpenError if ``parec`` stops."""
        stdout = self._process.stdout
        assert stdout is not None
        frame_bytes = SAMPLES_PER_FRAME * self._channels * 2
        samples = 0
        started: float | None = None  # monotonic time of sample 0
        while not self._stop.is_set():
            try:
                data = stdout.read(frame_bytes)
            except (OSError, ValueError):  # close() on another thread closed the pipe
                data = b""
            if self._stop.is_set():
                return
            if len(data) < frame_bytes:
                raise SourceOpenError(f"{self._label} stopped: {self._exit_reason()}")
            now = self._monotonic()
            if started is None:
                started = now - SAMPLES_PER_FRAME / self._rate
            lost = self._lost_samples(now - started, samples + SAMPLES_PER_FRAME, stdout)
            if lost:
                logger.warning("%s lost %.3f s of sound (overrun or stall)", self._label, lost / self._rate)
                samples += lost
            yield self._frame(data, samples)
            samples += SAMPLES_PER_FRAME

    def _lost_samples(self, elapsed: float, received: int, stdout: IO[bytes]) -> int:
        """How many samples were lost by now: the clock's count beyond those received and those
        still waiting in the pipe, when more than LOST_SOUND_SECONDS (else 0: jitter, latency)."""
        bytes_per_sample = self._channels * 2
        try:
            waiting = struct.unpack("i", fcntl.ioctl(stdout.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
        except (OSError, ValueError):
            waiting = 0
        # the reader's own buffer may hold up to one buffer's worth more than the pipe says
        slack = LOST_SOUND_SECONDS + io.DEFAULT_BUFFER_SIZE / (bytes_per_sample * self._rate)
        behind = round(elapsed * self._rate) - received - waiting // bytes_per_sample
        return behind if behind > slack * self._rate else 0

    def close(self) -> None:
        """Stop ``parec`` (the generator then ends); idempotent, callable from any thread."""
        self._stop.set()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        # With parec gone a reader blocked on stdout has already seen end-of-file.
        for pipe in (self._process.stdout, self._process.stderr):
            if pipe is not None:
                pipe.close()

    def _command(self, program: str) -> list[str]:
        command = [program, "--raw", "--format=s16le", f"--rate={self._rate}", f"--channels={self._channels}"]
        if self.spec.location not in _DEFAULT_NAMES:
            command.append(f"--device={self.spec.location}")
        # Small server-side buffers: we want frames as they happen, like the other live sources.
        command.append("--latency-msec=20")
        return command

    def _check_exists(self, pactl: str | None) -> None:
        if self.spec.location in _DEFAULT_NAMES:
            return
        listed = pulse_sources(pactl)
        names = [info.spec.removeprefix("pulse:") for info in listed]
        if listed and self.spec.location not in names:
            found = ", ".join(info.spec for info in listed)
            raise DeviceNotFoundError(
                f"no such PulseAudio source {self.spec.location} (found: {found}); {LIST_DEVICES_HINT}"
            )

    def _await_sound(self) -> None:
        stdout = self._process.stdout
        assert isinstance(stdout, io.BufferedReader)  # Popen's default for binary pipes
        readable, _, _ = select.select([stdout], [], [], _START_TIMEOUT_SECONDS)
        if readable and stdout.peek(1):
            return
        # Readable but empty means end-of-file: parec has exited and says why on stderr.
        reason = self._exit_reason() if readable else f"no sound within {_START_TIMEOUT_SECONDS:.0f} s"
        self.close()
        raise SourceOpenError(f"cannot open {self._label}: {reason}")

    def _frame(self, data: bytes, first_sample: int) -> av.AudioFrame:
        interleaved = np.frombuffer(data, dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout=_LAYOUTS[self._channels])
        frame.sample_rate = self._rate
        frame.pts = first_sample
        frame.time_base = Fraction(1, self._rate)
        return frame

    def _exit_reason(self) -> str:
        try:
            status = self._process.wait(_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return "parec's output ended but it is still running"
        stderr = self._process.stderr
        text = "" if stderr is None or stderr.closed else stderr.read().decode("utf-8", errors="replace")
        return f"parec exited with status {status}: {text.strip()[-300:] or 'no message'}"
