"""Source specs: the one-line strings that name a camera, microphone, stream, file or test pattern.

Grammar: ``KIND[:LOCATION][#key=value&key=value...]``. Our options always follow ``#`` so that
URLs keep their own ``?query``; a URL fragment is therefore not supported (percent-encode a ``#``
inside a URL as ``%23``). The accepted forms are listed in :data:`ACCEPTED_FORMS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import overload
from urllib.parse import urlsplit

from devices import options as opt
from devices.errors import SourceSpecError
from devices.spec_grammar import Options, Validator, check_options, is_device_path, split_options

__all__ = ["ACCEPTED_FORMS", "SourceKind", "SourceSpec", "parse_source_spec"]

ACCEPTED_FORMS = (
    "synthetic[#size=WxH&fps=N&video=0|1&audio=0|1&tone=HZ&black=1&freeze_after=S&silence_after=S"
    "&stall_after=S&stall_for=S&fail_after=S&end_after=S&realtime=0&clock=1], file:PATH[#loop=1&realtime=0], "
    "v4l2:/dev/videoN[#size=WxH&fps=N&input_format=mjpeg], alsa:DEVICE[#rate=48000&channels=1], "
    "pulse:DEVICE[#rate=48000&channels=1], rtsp://HOST[:PORT]/PATH or rtsps://...[#transport=tcp|udp"
    "&timeout=S], http(s)://HOST[:PORT]/PATH[#timeout=S]; every kind also takes name=[a-z0-9][a-z0-9-]{0,31}"
)
"""One line listing every accepted spec form; part of every ``SourceSpecError`` message."""


class SourceKind(StrEnum):
    """What kind of source a spec names; RTSP covers ``rtsps`` and HTTP covers ``https``."""

    SYNTHETIC = "synthetic"
    FILE = "file"
    V4L2 = "v4l2"
    ALSA = "alsa"
    PULSE = "pulse"
    RTSP = "rtsp"
    HTTP = "http"


_URL_KINDS = MappingProxyType(
    {
        "rtsp": SourceKind.RTSP,
        "rtsps": SourceKind.RTSP,
        "http": SourceKind.HTTP,
        "https": SourceKind.HTTP,
    }
)
_LOCAL_KINDS = MappingProxyType(
    {kind.value: kind for kind in SourceKind if kind not in (SourceKind.RTSP, SourceKind.HTTP)}
)


def _validators(**entries: Validator) -> Mapping[str, Validator]:
    return MappingProxyType({"name": opt.parse_name, **entries})


def _rate(text: str) -> int:
    return opt.parse_int(text, 8000, 192_000)


def _channels(text: str) -> int:
    return opt.parse_int(text, 1, 8)


def _positive_seconds(text: str) -> float:
    return opt.parse_seconds(text, allow_zero=False)


_OPTIONS: Mapping[SourceKind, Mapping[str, Validator]] = MappingProxyType(
    {
        SourceKind.SYNTHETIC: _validators(
            size=opt.parse_size,
            fps=opt.parse_fps,
            video=opt.parse_flag,
            audio=opt.parse_flag,
            tone=opt.parse_frequency,
            black=opt.parse_flag,
            freeze_after=opt.parse_seconds,
            silence_after=opt.parse_seconds,
            stall_after=opt.parse_seconds,
            stall_for=_positive_seconds,
            fail_after=_positive_seconds,
            end_after=_positive_seconds,
            realtime=opt.parse_flag,
            clock=opt.parse_flag,
        ),
        SourceKind.FILE: _validators(loop=opt.parse_flag, realtime=opt.parse_flag),
        SourceKind.V4L2: _validators(
            size=opt.parse_size, fps=opt.parse_fps, input_format=opt.parse_pixel_format
        ),
        SourceKind.ALSA: _validators(rate=_rate, channels=_channels),
        SourceKind.PULSE: _validators(rate=_rate, channels=_channels),
        SourceKind.RTSP: _validators(
            transport=lambda text: opt.parse_choice(text, ("tcp", "udp", "udp_multicast", "http")),
            timeout=_positive_seconds,
        ),
        SourceKind.HTTP: _validators(timeout=_positive_seconds),
    }
)

_ALSA_DEVICE = re.compile(r"[A-Za-z0-9_.:,=-]+", re.ASCII)
_PULSE_DEVICE = re.compile(r"[A-Za-z0-9_.:@-]+", re.ASCII)
_URL = re.compile(r"[!-~]+", re.ASCII)
_CREDENTIALS = re.compile(r"(//[^/@:#?]*:)[^/@#?]*@")
_SHOWN_CHARS = 200


@dataclass(frozen=True, slots=True, repr=False)
class SourceSpec:
    """A parsed, validated source spec (build one with :func:`parse_source_spec`).

    ``location`` is ``""`` for ``synthetic``, the path for ``file``/``v4l2``, the device name for
    ``alsa``/``pulse`` and the full URL (scheme kept, so ``rtsps``/``https`` stay secure) for
    network cameras. ``options`` holds the validated ``(key, value)`` pairs sorted by key, values as
    written. ``repr()`` hides URL passwords; ``text`` and ``location`` keep them.
    """

    kind: SourceKind
    location: str
    options: Options
    text: str

    def __post_init__(self) -> None:
        """Validate kind, location and options, however the spec was built.

        Raises:
            SourceSpecError: as :func:`parse_source_spec` does.
        """
        try:
            _validate(self.kind, self.location, self.options)
        except _Invalid as exc:
            raise SourceSpecError(_message(self.text, exc.reason)) from None

    @overload
    def option(self, key: str) -> str | None: ...
    @overload
    def option(self, key: str, default: str) -> str: ...
    @overload
    def option(self, key: str, default: str | None) -> str | None: ...

    def option(self, key: str, default: str | None = None) -> str | None:
        """Return the raw value of option ``key``, or ``default`` when the spec does not set it."""
        for name, value in self.options:
            if name == key:
                return value
        return default

    @property
    def name(self) -> str | None:
        """The ``name=`` option: the stream name used in storage keys, or None if not given."""
        return self.option("name")

    @property
    def canonical(self) -> str:
        """The spec in normal form: lower-case kind, sorted options.

        It parses back to the same kind, location and options.
        """
        if self.kind in (SourceKind.RTSP, SourceKind.HTTP):
            head = self.location
        elif self.location:
            head = f"{self.kind.value}:{self.location}"
        else:
            head = self.kind.value
        if not self.options:
            return head
        return head + "#" + "&".join(f"{key}={value}" for key, value in self.options)

    def redacted(self) -> str:
        """``canonical`` with any URL password replaced by ``***``: safe for logs and messages."""
        return _redact(self.canonical)

    def __repr__(self) -> str:
        return f"SourceSpec({self.redacted()!r})"


def parse_source_spec(text: str) -> SourceSpec:
    """Parse and validate a source spec such as ``v4l2:/dev/video0#size=1280x720&fps=30``.

    Surrounding whitespace is ignored; kinds and URL schemes are case-insensitive.

    Raises:
        SourceSpecError: one line naming what was wrong and listing :data:`ACCEPTED_FORMS`.
    """
    try:
        return _parse(text)
    except _Invalid as exc:
        raise SourceSpecError(_message(text, exc.reason)) from None


def _message(text: str, reason: str) -> str:
    shown = _redact(text)
    if len(shown) > _SHOWN_CHARS:
        shown = shown[:_SHOWN_CHARS] + "..."
    return f"bad source spec {shown!r}: {reason}; accepted forms: {ACCEPTED_FORMS}"


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parse(text: str) -> SourceSpec:
    stripped = text.strip()
    if not stripped:
        raise _Invalid("the spec is empty")
    if not all(char.isprintable() for char in stripped):
        raise _Invalid("the spec contains control or non-printable characters")
    head, has_options, tail = stripped.partition("#")
    kind, location = _split_kind(head)
    try:
        options = split_options(tail) if has_options else ()
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    return SourceSpec(kind=kind, location=location, options=options, text=text)


def _validate(kind: SourceKind, location: str, options: Options) -> None:
    if not isinstance(kind, SourceKind):
        raise _Invalid(f"kind must be a SourceKind (got {kind!r})")
    _check_location(kind, location)
    try:
        check_options(kind.value, options, _OPTIONS[kind])
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    _check_combination(kind, dict(options))


def _split_kind(head: str) -> tuple[SourceKind, str]:
    scheme, colon, rest = head.partition(":")
    scheme = scheme.lower()
    if scheme in _URL_KINDS:
        if not rest.startswith("//"):
            raise _Invalid(f"{scheme} needs a URL like {scheme}://HOST[:PORT]/PATH")
        return _URL_KINDS[scheme], scheme + ":" + rest
    if scheme not in _LOCAL_KINDS:
        raise _Invalid(f"unknown kind {scheme!r}")
    kind = _LOCAL_KINDS[scheme]
    if colon and not rest:
        raise _Invalid(f"{kind.value}: is followed by an empty location")
    return kind, rest


def _check_location(kind: SourceKind, location: str) -> None:
    if kind is SourceKind.SYNTHETIC:
        if location:
            raise _Invalid(f"synthetic takes no location (got {location!r})")
    elif kind is SourceKind.FILE:
        if not location:
            raise _Invalid("file needs a path: file:PATH")
    elif kind is SourceKind.V4L2:
        if not is_device_path(location):
            raise _Invalid(f"v4l2 needs a device path such as /dev/video0 (got {location!r})")
    elif kind is SourceKind.ALSA:
        if _ALSA_DEVICE.fullmatch(location) is None:
            raise _Invalid(f"alsa needs a device name such as hw:1,0 or default (got {location!r})")
    elif kind is SourceKind.PULSE:
        if _PULSE_DEVICE.fullmatch(location) is None:
            raise _Invalid(f"pulse needs a source name such as default (got {location!r})")
    else:
        _check_url(location)


def _check_url(url: str) -> None:
    if _URL.fullmatch(url) is None:
        raise _Invalid("the URL must be printable ASCII without spaces (percent-encode the rest)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _Invalid(f"the URL is malformed ({exc})") from None
    if not parts.hostname:
        raise _Invalid("the URL has no host")
    if port == 0:
        raise _Invalid("the URL's port must be 1-65535")


def _check_combination(kind: SourceKind, options: dict[str, str]) -> None:
    if kind is not SourceKind.SYNTHETIC:
        return
    if ("stall_after" in options) != ("stall_for" in options):
        raise _Invalid("options 'stall_after' and 'stall_for' must be given together")
    if options.get("video") == "0" and options.get("audio") == "0":
        raise _Invalid("options 'video=0' and 'audio=0' leave nothing to produce")


def _redact(text: str) -> str:
    return _CREDENTIALS.sub(r"\1***@", text)
