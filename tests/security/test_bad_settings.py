"""Every entry point checks its settings before it starts: a refused COURTREC_… value ends the process
with exit code 2 and one line on stderr naming the variable and what it accepts — never a traceback
(an invalid bucket name used to end the agent in a raw minio traceback) — and nothing is written."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import uvicorn
from pydantic import ValidationError

from archive.cli import main as archive_main
from archive.formats.settings_errors import RefusedSettingError, load_settings
from archive.settings import ArchiveSettings
from archive.store.bucket_name import bucket_name_problem
from capture.cli import main as capture_main
from capture.settings import CaptureSettings
from portal.cli import main as portal_main
from streaming.server.cli import main as streaming_main
from streaming.settings import StreamingSettings


def _run(
    module: str, arguments: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        env={**clean, "PYTHONPATH": os.environ.get("PYTHONPATH", ""), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _record(spool: Path) -> list[str]:
    return [
        "record",
        "--court",
        "court-a",
        "--room",
        "court-1",
        "--spool",
        str(spool),
        "--duration",
        "1",
        "--source",
        "synthetic#size=320x240&fps=15&audio=0",
    ]


def _entry_points(tmp: Path) -> dict[str, tuple[str, list[str]]]:
    return {
        "capture": ("capture", _record(tmp / "spool")),
        "archive": ("archive", ["upload", "--spool", str(tmp / "spool")]),
        "streaming": ("streaming", ["serve", "--port", "9"]),
        "portal": ("portal", ["migrate", "--data", str(tmp / "portal")]),
    }


CASES = [
    # (entry points, variable, value, words the line must hold)
    (
        ("capture", "archive", "portal"),
        "COURTREC_S3_BUCKET",
        "Evidence_2026",
        ["lower-case letters", "'Evidence_2026'"],
    ),
    (("archive",), "COURTREC_BACKUP_S3_BUCKET", "192.168.1.10", ["IP address"]),
    (("capture", "archive"), "COURTREC_S3_ENDPOINT", "ftp://s3.court", ["http:// or https://"]),
    (("portal",), "COURTREC_S3_ENDPOINT", "s3.court:99999", ["1..65535"]),
    (("capture",), "COURTREC_SEGMENT_SECONDS", "1", ["greater than or equal to 2", "'1'"]),
    (("capture",), "COURTREC_VIDEO_PRESET", "turbo", ["veryfast", "'turbo'"]),
    (("capture",), "COURTREC_LIVE_URL", "whip.court", ["http:// or https://", "'whip.court'"]),
    (("streaming",), "COURTREC_STREAMING_PORT", "70000", ["less than or equal to 65535"]),
    (("streaming", "portal"), "COURTREC_STREAMING_CORS_ORIGINS", '["*"]', ["'*'"]),
    (("streaming",), "COURTREC_STREAMING_ICE_SERVERS", "stun:x", ["must be JSON"]),
    (("portal",), "COURTREC_PORTAL_DOMAIN", "court_a.example", ["should match pattern"]),
    (("portal",), "COURTREC_PORTAL_DISPLAY_TIMEZONE", "Beijing", ["IANA time zone", "'Beijing'"]),
    (("streaming",), "COURTREC_STREAMING_PUBLIC_BASE_URL", "cdn.court.example/live", ["http:// or https://"]),
    (("portal",), "COURTREC_PORTAL_EMBEDDED_S3_PORT", "80", ["greater than or equal to 1024"]),
]


def _cases() -> list[tuple[str, str, str, list[str]]]:
    return [(entry, variable, value, words) for entries, variable, value, words in CASES for entry in entries]


# One refused setting per entry point goes through the real ``python -m <package>`` (the exit code and
# stderr of the process itself); the other cases call the same main() in this process, which is what
# reads and refuses the settings (a Python start costs seconds on a busy machine, main() milliseconds).
END_TO_END = {
    ("capture", "COURTREC_S3_BUCKET"),
    ("archive", "COURTREC_S3_BUCKET"),
    ("portal", "COURTREC_S3_BUCKET"),
    ("streaming", "COURTREC_STREAMING_PORT"),
}

_MAINS: dict[str, Callable[[list[str]], int]] = {
    "capture": capture_main,
    "archive": archive_main,
    "streaming": streaming_main,
    "portal": portal_main,
}


def _env_for(entry: str, variable: str, value: str) -> dict[str, str]:
    env = {variable: value}
    if entry == "portal" and variable.startswith("COURTREC_STREAMING_"):
        env["COURTREC_PORTAL_LIVE"] = "true"  # the portal reads the live settings only when it mounts live
    return env


def _check_refusal(stderr: str, variable: str, words: list[str], tmp_path: Path) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert f"{variable}:" in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert not (tmp_path / "spool").exists() and not (tmp_path / "portal").exists()  # nothing started


@pytest.mark.integration  # a Python process per case
@pytest.mark.parametrize(
    ("entry", "variable", "value", "words"),
    [case for case in _cases() if case[:2] in END_TO_END],
    ids=lambda part: part if isinstance(part, str) else "",
)
def test_a_refused_setting_exits_2_with_one_line_naming_it(
    tmp_path: Path, entry: str, variable: str, value: str, words: list[str]
) -> None:
    module, arguments = _entry_points(tmp_path)[entry]
    result = _run(module, arguments, _env_for(entry, variable, value), tmp_path)
    assert result.returncode == 2, result.stderr
    _check_refusal(result.stderr, variable, words, tmp_path)


@pytest.mark.parametrize(
    ("entry", "variable", "value", "words"),
    [case for case in _cases() if case[:2] not in END_TO_END],
    ids=lambda part: part if isinstance(part, str) else "",
)
def test_a_refused_setting_makes_main_return_2_with_one_line_naming_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    entry: str,
    variable: str,
    value: str,
    words: list[str],
) -> None:
    """The same refusal as the process's, from the entry point's main() (what ``python -m`` runs):
    nothing logged either (in a process, a log line would be a second line on stderr)."""
    for name in [name for name in os.environ if name.startswith("COURTREC_")]:
        monkeypatch.delenv(name)
    for name, text in _env_for(entry, variable, value).items():
        monkeypatch.setenv(name, text)
    monkeypatch.chdir(tmp_path)

    def serve(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the live server started serving despite the refused setting")

    monkeypatch.setattr(uvicorn, "run", serve)
    caplog.set_level(logging.DEBUG)
    _module, arguments = _entry_points(tmp_path)[entry]
    assert _MAINS[entry](arguments) == 2
    _check_refusal(capsys.readouterr().err, variable, words, tmp_path)
    assert [record.getMessage() for record in caplog.records] == []


def test_a_secret_value_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURTREC_STREAMING_OPERATOR_TOKEN", "short-secret")
    with pytest.raises(RefusedSettingError) as raised:
        load_settings(StreamingSettings)
    assert str(raised.value).startswith("COURTREC_STREAMING_OPERATOR_TOKEN: ")
    assert "short-secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("courtrec", True),
        ("court-a.evidence-2026", True),
        ("abc", True),
        ("ab", False),
        ("a" * 64, False),
        ("Courtrec", False),
        ("court_rec", False),
        ("-courtrec", False),
        ("courtrec-", False),
        ("court..rec", False),
        ("court.-rec", False),
        ("10.1.2.3", False),
        ("xn--court", False),
        ("court--ol-s3", False),
    ],
)
def test_bucket_names_follow_the_s3_rules(name: str, valid: bool) -> None:
    assert (bucket_name_problem(name) is None) is valid
    if not valid:
        with pytest.raises(ValidationError, match="s3_bucket"):
            ArchiveSettings(s3_bucket=name)


def test_capture_settings_accept_the_defaults_and_good_urls() -> None:
    settings = CaptureSettings(live_url="https://live.court.example/whip", portal_url="http://portal:8000")
    assert settings.video_preset == "veryfast"
