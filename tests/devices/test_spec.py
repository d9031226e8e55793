from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices import ACCEPTED_FORMS, SourceKind, SourceSpec, SourceSpecError, parse_source_spec
from devices import options as opt


@pytest.mark.parametrize(
    ("text", "kind", "location", "options"),
    [
        ("synthetic", SourceKind.SYNTHETIC, "", ()),
        (
            "synthetic#size=320x240&fps=15&audio=1&video=1&tone=440",
            SourceKind.SYNTHETIC,
            "",
            (("audio", "1"), ("fps", "15"), ("size", "320x240"), ("tone", "440"), ("video", "1")),
        ),
        ("file:/srv/clips/a b.mp4#loop=1", SourceKind.FILE, "/srv/clips/a b.mp4", (("loop", "1"),)),
        ("file:relative/clip.mkv", SourceKind.FILE, "relative/clip.mkv", ()),
        (
            "v4l2:/dev/video0#size=1280x720&fps=30&input_format=mjpeg",
            SourceKind.V4L2,
            "/dev/video0",
            (("fps", "30"), ("input_format", "mjpeg"), ("size", "1280x720")),
        ),
        (
            "v4l2:/dev/v4l/by-id/usb-046d_C920-video-index0",
            SourceKind.V4L2,
            "/dev/v4l/by-id/usb-046d_C920-video-index0",
            (),
        ),
        (
            "alsa:hw:1,0#rate=48000&channels=1",
            SourceKind.ALSA,
            "hw:1,0",
            (("channels", "1"), ("rate", "48000")),
        ),
        ("alsa:default", SourceKind.ALSA, "default", ()),
        ("alsa:plughw:CARD=PCH,DEV=0", SourceKind.ALSA, "plughw:CARD=PCH,DEV=0", ()),
        ("pulse:default", SourceKind.PULSE, "default", ()),
        (
            "pulse:alsa_input.usb-Blue_Yeti-00.analog-stereo",
            SourceKind.PULSE,
            "alsa_input.usb-Blue_Yeti-00.analog-stereo",
            (),
        ),
        (
            "rtsp://cam1.court.local:554/stream?channel=1#transport=tcp&name=cam1",
            SourceKind.RTSP,
            "rtsp://cam1.court.local:554/stream?channel=1",
            (("name", "cam1"), ("transport", "tcp")),
        ),
        ("rtsps://10.0.0.5/live", SourceKind.RTSP, "rtsps://10.0.0.5/live", ()),
        ("RTSP://10.0.0.5/live", SourceKind.RTSP, "rtsp://10.0.0.5/live", ()),
        (
            "http://10.0.0.6/video.mjpg#timeout=2.5",
            SourceKind.HTTP,
            "http://10.0.0.6/video.mjpg",
            (("timeout", "2.5"),),
        ),
        ("https://[fe80::1]:8443/mjpeg", SourceKind.HTTP, "https://[fe80::1]:8443/mjpeg", ()),
        ("  synthetic#name=bench  ", SourceKind.SYNTHETIC, "", (("name", "bench"),)),
    ],
)
def test_accepted_forms_parse(
    text: str, kind: SourceKind, location: str, options: tuple[tuple[str, str], ...]
) -> None:
    spec = parse_source_spec(text)
    assert (spec.kind, spec.location, spec.options, spec.text) == (kind, location, options, text)


def test_option_and_name_accessors() -> None:
    spec = parse_source_spec("synthetic#name=cam-1&fps=30000/1001")
    assert spec.name == "cam-1"
    assert spec.option("fps") == "30000/1001"
    assert spec.option("size") is None
    assert spec.option("size", "320x240") == "320x240"
    assert parse_source_spec("synthetic").name is None


@pytest.mark.parametrize(
    ("kind", "location", "options", "reason"),
    [
        (SourceKind.SYNTHETIC, "", (("bogus", "1"),), "unknown option 'bogus' for synthetic"),
        (SourceKind.SYNTHETIC, "", (("size", "1x1"),), "option 'size' must be between 16x16"),
        (SourceKind.SYNTHETIC, "", (("video", "1"), ("audio", "1")), "options must be sorted by key"),
        (SourceKind.V4L2, "video0", (), "v4l2 needs a device path"),
        ("synthetic", "", (), "kind must be a SourceKind"),
    ],
)
def test_specs_built_directly_are_validated_too(kind, location, options, reason: str) -> None:
    with pytest.raises(SourceSpecError) as caught:
        SourceSpec(kind=kind, location=location, options=options, text="hand-made")
    assert reason in str(caught.value)
    assert ACCEPTED_FORMS in str(caught.value)


def test_canonical_is_normal_form_and_parses_back() -> None:
    spec = parse_source_spec("SYNTHETIC#video=1&fps=15")
    assert spec.canonical == "synthetic#fps=15&video=1"
    again = parse_source_spec(spec.canonical)
    assert (again.kind, again.location, again.options) == (spec.kind, spec.location, spec.options)


def test_passwords_are_hidden_from_repr_and_errors() -> None:
    spec = parse_source_spec("rtsp://admin:s3cret@10.0.0.5/live#transport=tcp")
    assert spec.location == "rtsp://admin:s3cret@10.0.0.5/live"
    assert "s3cret" not in repr(spec)
    assert spec.redacted() == "rtsp://admin:***@10.0.0.5/live#transport=tcp"
    with pytest.raises(SourceSpecError) as caught:
        parse_source_spec("rtsp://admin:s3cret@10.0.0.5/live#bogus=1")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the spec is empty"),
        ("   ", "the spec is empty"),
        ("webcam:/dev/video0", "unknown kind 'webcam'"),
        ("synthetic:foo", "synthetic takes no location"),
        ("file:", "empty location"),
        ("file", "file needs a path"),
        ("v4l2:video0", "v4l2 needs a device path"),
        ("v4l2:/dev/../etc/passwd", "v4l2 needs a device path"),
        ("alsa:hw 1", "alsa needs a device name"),
        ("pulse:", "empty location"),
        ("rtsp:cam", "rtsp needs a URL like rtsp://HOST[:PORT]/PATH"),
        ("rtsp:///path", "the URL has no host"),
        ("http://cam:99999/x", "malformed"),
        ("http://cam/a b", "printable ASCII"),
        ("synthetic#", "'#' is followed by no options"),
        ("synthetic#size", "option 'size' is not key=value"),
        (
            "synthetic#bogus=1",
            "unknown option 'bogus' for synthetic (accepted: audio, black, clock, end_after",
        ),
        ("file:/x.mp4#size=320x240", "unknown option 'size' for file (accepted: loop, name, realtime)"),
        ("rtsp://cam/x#loop=1", "unknown option 'loop' for rtsp (accepted: name, timeout, transport)"),
        ("synthetic#size=320x240&size=640x480", "option 'size' is given twice"),
        ("synthetic#size=320", "option 'size' must be WxH"),
        ("synthetic#size=321x240", "option 'size' width and height must be even"),
        ("synthetic#size=8x8", "option 'size' must be between 16x16"),
        ("synthetic#fps=0", "option 'fps' must be > 0"),
        ("synthetic#fps=-5", "option 'fps' must be a positive number"),
        ("synthetic#fps=30/0", "option 'fps' must not divide by zero"),
        ("synthetic#fps=1000", "option 'fps' must be > 0 and <= 240"),
        ("synthetic#fps=nan", "option 'fps' must be a positive number"),
        ("synthetic#audio=yes", "option 'audio' must be 0 or 1"),
        ("synthetic#tone=30000", "option 'tone' must be a frequency in Hz"),
        ("synthetic#freeze_after=-1", "option 'freeze_after' must be a number of seconds"),
        ("synthetic#end_after=0", "option 'end_after' must be > 0"),
        ("synthetic#stall_after=2", "'stall_after' and 'stall_for' must be given together"),
        ("synthetic#video=0&audio=0", "leave nothing to produce"),
        ("synthetic#name=Cam1", "option 'name' must match [a-z0-9][a-z0-9-]{0,31}"),
        ("synthetic#name=" + "a" * 33, "option 'name' must match"),
        ("alsa:hw:1,0#rate=100", "option 'rate' must be an integer from 8000 to 192000"),
        ("alsa:hw:1,0#channels=٣", "option 'channels' must be an integer"),
        ("rtsp://cam/x#transport=sctp", "option 'transport' must be one of tcp, udp"),
        ("synthetic\n#fps=15", "control or non-printable"),
    ],
)
def test_bad_specs_name_the_problem_and_list_the_forms(text: str, reason: str) -> None:
    with pytest.raises(SourceSpecError) as caught:
        parse_source_spec(text)
    message = str(caught.value)
    assert reason in message
    assert ACCEPTED_FORMS in message
    assert len(message.splitlines()) == 1


def test_accepted_forms_mention_every_option() -> None:
    for key in ("size", "fps", "video", "audio", "tone", "black", "freeze_after", "silence_after"):
        assert f"{key}=" in ACCEPTED_FORMS
    for key in ("stall_after", "stall_for", "end_after", "realtime", "loop", "input_format"):
        assert f"{key}=" in ACCEPTED_FORMS
    for key in ("rate", "channels", "transport", "timeout", "name"):
        assert f"{key}=" in ACCEPTED_FORMS


@pytest.mark.parametrize(
    ("text", "fps"),
    [("15", Fraction(15)), ("29.97", Fraction(2997, 100)), ("30000/1001", Fraction(30000, 1001))],
)
def test_fps_values(text: str, fps: Fraction) -> None:
    assert opt.parse_fps(text) == fps


# --- property-based ---------------------------------------------------------------------------

_SPEC_ALPHABET = st.sampled_from(list("synthetic:file/dev/v4l2alsapulsertsp://#&=xX0129.-_?@ \n\t%é٣"))
_KIND_PREFIXES = st.sampled_from(
    ["synthetic", "file:", "v4l2:", "alsa:", "pulse:", "rtsp://", "http://", "SYNTHETIC", ""]
)


@given(st.text())
def test_any_text_parses_or_raises_spec_error_only(text: str) -> None:
    _parse_or_spec_error(text)


@given(_KIND_PREFIXES, st.text(_SPEC_ALPHABET, max_size=40))
def test_spec_like_text_parses_or_raises_spec_error_only(prefix: str, rest: str) -> None:
    _parse_or_spec_error(prefix + rest)


def _parse_or_spec_error(text: str) -> None:
    try:
        spec = parse_source_spec(text)
    except SourceSpecError as exc:
        assert ACCEPTED_FORMS in str(exc)
        assert len(str(exc).splitlines()) == 1
    else:
        assert isinstance(spec, SourceSpec)
        assert parse_source_spec(spec.canonical).options == spec.options


_SYNTHETIC_VALUES = {
    "size": st.builds(lambda w, h: f"{2 * w}x{2 * h}", st.integers(8, 3840), st.integers(8, 2160)),
    "fps": st.one_of(
        st.integers(1, 240).map(str),
        st.builds(lambda n, d: f"{n}/{d}", st.integers(1, 240), st.integers(1, 1)),
        st.just("30000/1001"),
    ),
    "video": st.just("1"),
    "audio": st.sampled_from(["0", "1"]),
    "tone": st.integers(1, 20_000).map(str),
    "black": st.sampled_from(["0", "1"]),
    "freeze_after": st.decimals(0, 1000, places=2).map(str),
    "silence_after": st.integers(0, 100).map(str),
    "end_after": st.decimals(1, 1000, places=3).map(str),
    "realtime": st.sampled_from(["0", "1"]),
    "name": st.from_regex(r"[a-z0-9][a-z0-9-]{0,31}", fullmatch=True),
}


@given(
    st.dictionaries(st.sampled_from(sorted(_SYNTHETIC_VALUES)), st.just(None)).flatmap(
        lambda keys: st.fixed_dictionaries({key: _SYNTHETIC_VALUES[key] for key in keys})
    )
)
def test_valid_synthetic_specs_round_trip(options: dict[str, str]) -> None:
    text = "synthetic" + ("#" + "&".join(f"{k}={v}" for k, v in options.items()) if options else "")
    spec = parse_source_spec(text)
    assert spec.kind is SourceKind.SYNTHETIC
    assert spec.options == tuple(sorted(options.items()))
    again = parse_source_spec(spec.canonical)
    assert (again.kind, again.location, again.options) == (spec.kind, spec.location, spec.options)


@given(
    st.sampled_from(["rtsp", "rtsps", "http", "https"]),
    st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True),
    st.one_of(st.none(), st.integers(1, 65535)),
    st.from_regex(r"(/[A-Za-z0-9._~-]{0,10}){0,3}(\?[a-z]=[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["", "#timeout=3", "#name=cam-2&timeout=0.5"]),
)
def test_valid_urls_round_trip(scheme: str, host: str, port: int | None, path: str, suffix: str) -> None:
    url = f"{scheme}://{host}" + (f":{port}" if port else "") + path
    spec = parse_source_spec(url + suffix)
    assert spec.location == url
    assert spec.kind is (SourceKind.RTSP if scheme.startswith("rtsp") else SourceKind.HTTP)
    assert parse_source_spec(spec.canonical).location == url
