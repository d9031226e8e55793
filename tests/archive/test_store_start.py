"""Starting the embedded store under load: a configurable deadline (COURTREC_STORE_START_SECONDS,
``--start-timeout``), lines saying what it waits for, and a too-short deadline that names the setting."""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.errors import EmbeddedStoreError
from archive.settings import ArchiveSettings
from archive.store.embedded import EmbeddedStore
from archive.store.embedded import store as embedded
from archive.store.embedded.readiness import DEFAULT_START_SECONDS, ReadinessWait
from tests.conftest import free_port

# weed needs well over a second to answer S3 (spawn, master, volume, filer, bucket, probe object)
TOO_SHORT = "0.2"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_slow_start_says_every_few_seconds_what_it_waits_for(caplog: pytest.LogCaptureFixture) -> None:
    clock = _Clock()
    caplog.set_level(logging.INFO, logger="archive.store.embedded.readiness")
    wait = ReadinessWait("weed's S3 at http://127.0.0.1:9", 60, progress_seconds=5, clock=clock)
    for _ in range(24):  # an attempt every 0.5 s for 12 s
        clock.now += 0.5
        wait.note("connection refused")
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == "waiting up to 60 s for weed's S3 at http://127.0.0.1:9"
    assert lines[1:] == [
        f"still waiting for weed's S3 at http://127.0.0.1:9: {seconds} s so far of 60 s "
        "(COURTREC_STORE_START_SECONDS / --start-timeout); last answer: connection refused"
        for seconds in (5, 10)
    ]
    assert not wait.expired
    clock.now += 48
    assert wait.expired
    assert "COURTREC_STORE_START_SECONDS" in wait.timeout_message("connection refused")


def test_the_default_deadline_is_generous_and_bounded() -> None:
    assert ArchiveSettings().store_start_seconds == DEFAULT_START_SECONDS >= 120
    with pytest.raises(ValueError, match="store_start_seconds"):
        ArchiveSettings(store_start_seconds=0)


@pytest.mark.integration
def test_a_real_start_reports_its_wait_and_readiness(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a progress line every 0.3 s instead of 5 s, so a normal 1-3 s start shows some
    monkeypatch.setattr(embedded, "ReadinessWait", functools.partial(ReadinessWait, progress_seconds=0.3))
    caplog.set_level(logging.INFO, logger="archive.store")
    port = free_port()
    with EmbeddedStore(tmp_path, port=port, start_seconds=60):
        pass
    lines = [record.getMessage() for record in caplog.records]
    endpoint = f"weed's S3 at http://127.0.0.1:{port} (bucket 'courtrec' writable and readable)"
    assert f"waiting up to 60 s for {endpoint}" in lines
    assert any(line.startswith(f"still waiting for {endpoint}: ") for line in lines), lines
    assert any(line.startswith(f"weed answered S3 on http://127.0.0.1:{port} after ") for line in lines)


@pytest.mark.integration
def test_a_too_short_deadline_fails_with_the_setting_named(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedStoreError) as raised:
        EmbeddedStore(tmp_path, port=free_port(), start_seconds=float(TOO_SHORT)).start()
    first = str(raised.value).splitlines()[0]
    assert "did not answer within 0.2 s" in first
    assert "COURTREC_STORE_START_SECONDS" in first and "--start-timeout" in first


def _store_command(data: Path, port: int, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive", "store", "--data", str(data), "--port", str(port), *arguments]
    return subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("arguments", "env"),
    [(("--start-timeout", TOO_SHORT), {}), ((), {"COURTREC_STORE_START_SECONDS": TOO_SHORT})],
    ids=["flag", "setting"],
)
def test_store_command_names_the_deadline_setting(
    tmp_path: Path, arguments: tuple[str, ...], env: dict[str, str]
) -> None:
    port = free_port()
    result = _store_command(tmp_path, port, *arguments, **env)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"courtrec store: starting SeaweedFS in {tmp_path}; waiting up to 0.2 s for S3 on 127.0.0.1:{port}"
    )
    assert lines[1].startswith(f"courtrec store: weed's S3 at http://127.0.0.1:{port} ")
    assert "did not answer within 0.2 s" in lines[1] and "COURTREC_STORE_START_SECONDS" in lines[1]
    assert len(lines) == 2, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("value", ["0", "-5", "soon", "7200"])
def test_store_command_refuses_a_deadline_out_of_range(tmp_path: Path, value: str) -> None:
    result = _store_command(tmp_path, free_port(), "--start-timeout", value)
    assert result.returncode == 2
    assert f"--start-timeout: must be a number of seconds in 0.1..3600 (got {value!r})" in result.stderr
