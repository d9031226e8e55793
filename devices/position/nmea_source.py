"""NMEA 0183 position sources: a serial receiver (``nmea:``) and a recorded file (``nmea-file:``)."""

from __future__ import annotations

import os
import select
import termios
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from devices.errors import DeviceNotFoundError, SourceOpenError
from devices.position.fix import PositionFix
from devices.position.nmea import MAX_SENTENCE_CHARS, NmeaDecoder
from devices.position.spec import PositionKind, PositionSpec

__all__ = ["NmeaFileSource", "NmeaSerialSource"]

_POLL_SECONDS = 0.2  # how soon close() is noticed while the receiver is quiet
_MAX_LINE = 4 * MAX_SENTENCE_CHARS  # a longer run without a newline is garbage: dropped, counted
_BAUD_CONSTANTS = {
    "1200": termios.B1200,
    "2400": termios.B2400,
    "4800": termios.B4800,
    "9600": termios.B9600,
    "19200": termios.B19200,
    "38400": termios.B38400,
    "57600": termios.B57600,
    "115200": termios.B115200,
}


class NmeaFileSource:
    """``nmea-file:PATH``: the file's sentences decoded in order, paced by their fix times
    (``realtime=0``: as fast as they decode); ``loop=1`` starts again at the end."""

    def __init__(self, spec: PositionSpec, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if spec.kind is not PositionKind.NMEA_FILE:
            raise ValueError(f"not an nmea-file spec: {spec.canonical}")
        self.spec = spec
        self._path = Path(spec.location)
        if not self._path.is_file():
            raise DeviceNotFoundError(f"NMEA file {self._path} does not exist or is not a file")
        self._now = now
        self._decoder = NmeaDecoder(now)
        self._stop = threading.Event()
        self._realtime = spec.option("realtime", "1") == "1"
        self._loop = spec.option("loop", "0") == "1"

    @property
    def bad_sentences(self) -> int:
        """Sentences skipped so far (bad checksum, grammar or values)."""
        return self._decoder.bad_sentences

    def fixes(self) -> Iterator[PositionFix]:
        """Blocking generator of the file's fixes; ends at the end of the file (unless ``loop``)."""
        while not self._stop.is_set():
            try:
                yield from self._pass()
            except OSError as exc:
                raise SourceOpenError(f"NMEA file {self._path}: {exc.strerror or exc}") from exc
            if not self._loop:
                return

    def _pass(self) -> Iterator[PositionFix]:
        first: datetime | None = None
        started = time.monotonic()
        with self._path.open("rb") as lines:
            for raw in lines:
                if self._stop.is_set():
                    return
                fix = self._decoder.feed(raw[:_MAX_LINE])
                if fix is None:
                    continue
                if self._realtime:
                    first = first or fix.fix_time
                    delay = (fix.fix_time - first).total_seconds() - (time.monotonic() - started)
                    if delay > 0 and self._stop.wait(delay):
                        return
                yield fix
        last = self._decoder.flush()
        if last is not None:
            yield last

    def close(self) -> None:
        """End :meth:`fixes` (promptly, from any thread); idempotent."""
        self._stop.set()


class NmeaSerialSource:
    """``nmea:/dev/ttyUSB0#baud=4800``: a serial receiver set to raw 8N1 at ``baud`` (4800 default)."""

    def __init__(self, spec: PositionSpec, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if spec.kind is not PositionKind.NMEA:
            raise ValueError(f"not an nmea spec: {spec.canonical}")
        self.spec = spec
        self._decoder = NmeaDecoder(now)
        self._stop = threading.Event()
        self._fd = _open_serial(spec.location, _BAUD_CONSTANTS[spec.option("baud", "4800")])

    @property
    def bad_sentences(self) -> int:
        """Sentences skipped so far (bad checksum, grammar or values)."""
        return self._decoder.bad_sentences

    def fixes(self) -> Iterator[PositionFix]:
        """Blocking generator of fixes until :meth:`close`; SourceOpenError if the device fails."""
        pending = b""
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._fd], [], [], _POLL_SECONDS)
                if not ready:
                    continue
                chunk = os.read(self._fd, 1024)
                if not chunk:
                    raise SourceOpenError(f"serial device {self.spec.location} closed (unplugged?)")
                *lines, pending = (pending + chunk).split(b"\n")
                if len(pending) > _MAX_LINE:
                    self._decoder.feed(pending[:_MAX_LINE])  # counted as bad, not kept growing
                    pending = b""
                for line in lines:
                    fix = self._decoder.feed(line)
                    if fix is not None:
                        yield fix
        except OSError as exc:
            raise SourceOpenError(f"serial device {self.spec.location}: {exc.strerror or exc}") from exc
        finally:
            self._close_fd()

    def close(self) -> None:
        """End :meth:`fixes` within a poll interval (from any thread); idempotent."""
        self._stop.set()

    def _close_fd(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


def _open_serial(path: str, baud: int) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise DeviceNotFoundError(f"serial device {path} does not exist (receiver unplugged?)") from exc
    except OSError as exc:
        raise SourceOpenError(f"serial device {path} cannot be opened: {exc.strerror or exc}") from exc
    try:
        attrs = termios.tcgetattr(fd)
        attrs[0] = termios.IGNPAR  # iflag: raw input
        attrs[1] = 0  # oflag
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL  # cflag: 8N1, no modem control
        attrs[3] = 0  # lflag: no echo, no line editing
        attrs[4] = attrs[5] = baud
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    except termios.error as exc:
        os.close(fd)
        raise SourceOpenError(f"{path} is not a serial device (cannot set {baud} baud): {exc}") from exc
    return fd
