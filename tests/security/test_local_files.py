"""Local files are the owner's alone, and no log holds a password (issue 10, task 8).

Each command runs as a real ``python -m`` process started with the permissive umask 022, so the
modes prove that the entry point itself narrows it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration  # runs the real commands as subprocesses


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def _run(*command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=cwd,
        env=_environment(**env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        umask=0o022,
    )
    assert result.returncode == 0, result.stderr
    return result


def _modes(top: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(top.stat().st_mode)}
    for path in top.rglob("*"):
        found[str(path.relative_to(top))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _assert_owner_only(top: Path) -> None:
    modes = _modes(top)
    wrong = {
        name: oct(mode) for name, mode in modes.items() if mode != (0o700 if (top / name).is_dir() else 0o600)
    }
    assert not wrong, wrong
    assert len(modes) > 1


def test_portal_migrate_creates_an_owner_only_data_directory(tmp_path: Path) -> None:
    _run("portal", "migrate", "--data", "portal-data", cwd=tmp_path)
    _assert_owner_only(tmp_path / "portal-data")
    assert (tmp_path / "portal-data" / "portal.sqlite3").is_file()


@pytest.mark.integration
def test_capture_record_creates_an_owner_only_spool(tmp_path: Path) -> None:
    _run(
        "capture",
        "record",
        "--room",
        "room-1",
        "--case",
        "case-1",
        "--recording-id",
        "rec-modes",
        "--spool",
        "spool",
        "--duration",
        "2",
        "--segment-seconds",
        "2",
        "--source",
        "synthetic#size=160x120&fps=5",
        cwd=tmp_path,
        COURTREC_COURT="court-a",
    )
    _assert_owner_only(tmp_path / "spool")  # segments, journal, device key, upload queue
    assert list((tmp_path / "spool").rglob("*.m4s"))


def _portal_demo() -> ModuleType:
    if str(ROOT / "scripts") not in sys.path:  # portal_demo imports its sibling run_ports, as run_system does
        sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location("portal_demo", ROOT / "scripts" / "portal_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demo_seed_shows_its_passwords_but_logs_none(tmp_path: Path) -> None:
    demo = _portal_demo()
    log = tmp_path / "portal.log"
    # the seed needs no store without --grant-recording: a configured, unreachable one keeps it light
    env = _environment(
        COURTREC_ENVIRONMENT="development",
        COURTREC_S3_ENDPOINT="http://127.0.0.1:9",
        COURTREC_S3_ACCESS_KEY="unused",
        COURTREC_S3_SECRET_KEY="unused-secret",
        COURTREC_S3_BUCKET="unused",
    )
    portal = [sys.executable, "-m", "portal"]
    data = str(tmp_path / "portal-data")
    demo._run([*portal, "migrate", "--data", data], env, log)
    output = demo._run([*portal, "seed-demo", "--data", data], env, log, secret_output=True)
    credentials = json.loads(output.strip().splitlines()[-1])
    passwords = [value for name, value in credentials.items() if name.endswith("_password")]
    assert len(passwords) == 4 and all(passwords)
    written = log.read_text()
    assert "revision" in written.lower()  # the log is kept ...
    assert not [password for password in passwords if password in written]  # ... without a password
