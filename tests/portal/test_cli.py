"""``python -m portal``: migrate, create-user, audit verify, and serve (with the embedded store).

Every test runs the real ``python -m portal`` at least once; the further commands of a test call the
same ``portal.cli.main`` in this process (``_portal_main``): a Python start costs seconds on a busy
machine, main() milliseconds, and the exit code and output are the same.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from portal.cli import main
from portal.db import make_engine, make_sessionmaker, transaction
from portal.devices.enrolment import enrol
from portal.migrate import head_revision
from tests.conftest import free_port

pytestmark = pytest.mark.integration  # each test runs ``python -m portal`` in subprocesses


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    return env | extra


def _portal(data: Path, *arguments: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "portal", *arguments, "--data", str(data)]
    return subprocess.run(
        command, env=_env(**env), input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def _portal_main(
    data: Path | None, *arguments: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """What ``_portal`` returns, from ``portal.cli.main`` run in this process with the same environment
    (no COURTREC_ variable but ``env``; no --data when ``data`` is None); ``serve`` fails the test should
    it get as far as serving."""
    argv = [*arguments] if data is None else [*arguments, "--data", str(data)]
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("COURTREC_")]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr("sys.stdin", io.StringIO(stdin))
        patch.setattr(uvicorn, "run", _no_serving)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(argv)
    return subprocess.CompletedProcess(argv, code, stdout.getvalue(), stderr.getvalue())


def _no_serving(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("portal serve started serving where it had to refuse")


def test_migrate_create_user_and_audit_verify(tmp_path: Path) -> None:
    migrated = _portal(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"database at revision {head_revision()}" in migrated.stdout
    assert f"data directory {tmp_path.resolve()} (--data); database sqlite:///" in migrated.stderr
    assert _portal_main(tmp_path, "migrate").returncode == 0  # idempotent
    court = _portal_main(
        tmp_path, "create-court", "--code", "bj-dc", "--name", "东城法院", "--room", "room-1=第一法庭"
    )
    assert court.returncode == 0, court.stderr
    assert "court bj-dc (id 1)" in court.stdout and "courtroom room-1" in court.stdout
    bad = _portal_main(tmp_path, "create-court", "--code", "Bad Code", "--name", "x")
    assert bad.returncode == 1 and "法院代码" in bad.stderr
    created = _portal_main(
        tmp_path,
        "create-user",
        "--username",
        "clerk",
        "--role",
        "clerk",
        "--court-id",
        "1",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    weak = _portal_main(
        tmp_path, "create-user", "--username", "other", "--role", "judge", "--password-stdin", stdin="short\n"
    )
    assert weak.returncode == 1 and "8-128 个字符" in weak.stderr
    again = _portal_main(
        tmp_path,
        "create-user",
        "--username",
        "clerk",
        "--role",
        "clerk",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    assert again.returncode == 1 and "已被使用" in again.stderr
    verified = _portal_main(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "audit log intact: 1 records" in verified.stdout
    head = _portal_main(tmp_path, "audit", "head").stdout.strip()
    with sqlite3.connect(tmp_path / "portal.sqlite3") as connection:
        connection.execute("DROP TRIGGER audit_records_no_update")
        connection.execute('UPDATE audit_records SET detail = \'{"role":"admin"}\' WHERE seq = 1')
    broken = _portal_main(tmp_path, "audit", "verify", "--expect-head", head)
    assert broken.returncode == 1
    assert "record 1: content does not match its hash (edited)" in broken.stdout


def test_every_command_says_which_data_directory_it_used(tmp_path: Path) -> None:
    """Without --data, the same place ``serve`` would use: COURTREC_DATA_DIR, else the default."""
    command = [sys.executable, "-m", "portal", "migrate"]
    chosen = subprocess.run(
        command,
        env=_env(COURTREC_DATA_DIR=str(tmp_path / "chosen")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert chosen.returncode == 0, chosen.stderr
    assert f"data directory {(tmp_path / 'chosen').resolve()} (COURTREC_DATA_DIR)" in chosen.stderr
    assert (tmp_path / "chosen" / "portal.sqlite3").is_file()
    default = _portal_main(None, "migrate", XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert default.returncode == 0, default.stderr
    assert (
        f"data directory {(tmp_path / 'xdg' / 'courtrec' / 'portal').resolve()} (default;" in default.stderr
    )


def test_serve_refuses_an_old_schema_and_placeholder_secrets(tmp_path: Path) -> None:
    no_secret = _portal(tmp_path, "serve", "--port", str(free_port()))
    assert no_secret.returncode == 1 and "COURTREC_PORTAL_SECRET_KEY must be set" in no_secret.stderr
    secret = "x7Qm2rT9vLp4Wz8Kc3Nf6Hj1Bd5Gs0Ya"
    stale = _portal_main(tmp_path, "serve", "--port", str(free_port()), COURTREC_PORTAL_SECRET_KEY=secret)
    assert stale.returncode == 1 and "python -m portal migrate" in stale.stderr
    assert _portal_main(tmp_path, "migrate").returncode == 0
    placeholder = _portal_main(
        tmp_path,
        "serve",
        COURTREC_PORTAL_SECRET_KEY="changethis",
        COURTREC_PORTAL_EMBEDDED_S3_PORT=str(free_port()),
    )
    assert placeholder.returncode == 1 and "COURTREC_PORTAL_SECRET_KEY" in placeholder.stderr


def test_serve_without_s3_settings_starts_the_embedded_store(tmp_path: Path) -> None:
    assert _portal_main(tmp_path, "migrate").returncode == 0
    port, s3_port = free_port(), free_port()
    env = _env(
        COURTREC_ENVIRONMENT="development",
        COURTREC_PORTAL_COOKIE_SECURE="false",
        COURTREC_PORTAL_EMBEDDED_S3_PORT=str(s3_port),
    )
    command = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--data", str(tmp_path)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/notices", timeout=2) as response:
                    assert response.status == 200
                    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
                    assert f"http://127.0.0.1:{s3_port}" in response.headers["content-security-policy"]
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert (tmp_path / "store" / "credentials.json").is_file()
    finally:
        server.terminate()
        assert server.wait(timeout=60) == 0


def test_devices_enrol_code_registers_the_device_and_prints_a_one_time_code(tmp_path: Path) -> None:
    assert _portal_main(tmp_path, "migrate").returncode == 0
    assert _portal_main(tmp_path, "create-court", "--code", "bj-cy", "--name", "朝阳法院").returncode == 0
    unknown = _portal_main(
        tmp_path, "devices", "enrol-code", "bodycam-1", "--court", "nowhere", "--actor", "it-admin"
    )
    assert unknown.returncode == 1 and "nowhere" in unknown.stderr
    issued = _portal(
        tmp_path,
        "devices",
        "enrol-code",
        "bodycam-1",
        "--court",
        "bj-cy",
        "--officer",
        "赵执行",
        "--actor",
        "it-admin",
    )
    assert issued.returncode == 0, issued.stderr
    code = issued.stdout.split("one-time enrolment code of bodycam-1: ", 1)[1].split()[0]
    assert len(code.replace("-", "")) == 16 and "only its hash is stored" in issued.stdout
    with sqlite3.connect(tmp_path / "portal.sqlite3") as connection:
        stored = connection.execute("SELECT code_sha256, device_id FROM enrolment_codes").fetchall()
        officer = connection.execute("SELECT officer FROM fleet_devices").fetchall()
    assert stored == [(hashlib.sha256(code.replace("-", "").encode()).hexdigest(), "bodycam-1")]
    assert officer == [("赵执行",)]


def test_devices_revoke_key_refuses_the_key_for_good_and_drops_it_from_the_key_list(tmp_path: Path) -> None:
    assert _portal(tmp_path, "migrate").returncode == 0
    assert _portal_main(tmp_path, "create-court", "--code", "bj-cy", "--name", "朝阳法院").returncode == 0
    issued = _portal_main(tmp_path, "devices", "enrol-code", "bodycam-1", "--court", "bj-cy", "--actor", "it")
    code = issued.stdout.split("one-time enrolment code of bodycam-1: ", 1)[1].split()[0]
    key = base64.b64encode(b"\7" * 32).decode()
    engine = make_engine(f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    with transaction(make_sessionmaker(engine)) as db:
        enrol(db, "bodycam-1", key, code, now=datetime.now(UTC))
    engine.dispose()
    before = _portal_main(tmp_path, "devices", "export-keys", "--out", str(tmp_path / "before.json"))
    assert before.returncode == 0, before.stderr
    assert key in (tmp_path / "before.json").read_text()

    no_reason = _portal_main(tmp_path, "devices", "revoke-key", key, "--actor", "it-admin", "--reason", " ")
    assert no_reason.returncode == 1 and "--reason" in no_reason.stderr
    unknown = _portal_main(
        tmp_path, "devices", "revoke-key", "A" * 43 + "=", "--actor", "it", "--reason", "x"
    )
    assert unknown.returncode == 1 and "no device key" in unknown.stderr
    revoked = _portal_main(
        tmp_path, "devices", "revoke-key", key, "--actor", "it-admin", "--reason", "设备遗失"
    )
    assert revoked.returncode == 0, revoked.stderr
    assert f"device key of bodycam-1 revoked: {key}" in revoked.stdout
    twice = _portal_main(tmp_path, "devices", "revoke-key", key, "--actor", "it-admin", "--reason", "again")
    assert twice.returncode == 1 and "already revoked" in twice.stderr
    listed = _portal_main(tmp_path, "devices", "list")
    assert "bodycam-1\trevoked" in listed.stdout
    after = _portal_main(tmp_path, "devices", "export-keys", "--out", str(tmp_path / "after.json"))
    assert after.returncode == 0 and key not in (tmp_path / "after.json").read_text()
    with sqlite3.connect(tmp_path / "portal.sqlite3") as connection:
        audited = connection.execute(
            "SELECT actor, detail FROM audit_records WHERE action = 'device_key_revoked'"
        ).fetchall()
    assert len(audited) == 1 and audited[0][0] == "it-admin" and "设备遗失" in audited[0][1]
