"""``make run`` takes its ports from options and settings, says which port is taken (and how to move
it) before starting anything, and prints URLs for the LAN when the portal is opened to it."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import portal_demo
import run_system
from run_ports import PortTakenError, portal_urls


@pytest.fixture
def taken() -> Iterator[int]:
    """A port another program listens on (one that could be the store's S3 port too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", free_port()))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_taken_portal_port_is_named_and_nothing_starts(
    taken: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "run"
    code = run_system.main(["--data", str(data), "--portal-port", str(taken), "--port", str(free_port())])
    assert code == 2
    message = capsys.readouterr().err
    assert f"port {taken} on 127.0.0.1 (the portal) is already in use by another program" in message
    assert "--portal-port or COURTREC_RUN_PORTAL_PORT" in message
    assert not data.exists()  # no store, no portal, no data directory


def test_a_taken_store_port_is_named_from_the_setting(
    taken: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURTREC_RUN_STORE_PORT", str(taken))
    monkeypatch.setenv("COURTREC_RUN_PORTAL_PORT", str(free_port()))
    assert run_system.main(["--data", str(tmp_path / "run")]) == 2
    message = capsys.readouterr().err
    assert f"port {taken} on 127.0.0.1 (the S3 store) is already in use" in message
    assert "--port or COURTREC_RUN_STORE_PORT" in message


def test_the_portal_start_refuses_a_taken_port_before_recording(taken: int, tmp_path: Path) -> None:
    with pytest.raises(PortTakenError, match=f"port {taken} on 127.0.0.1 \\(the portal\\)"):
        portal_demo.start_portal(tmp_path, {}, "stamp", {}, host="127.0.0.1", port=taken)
    assert list(tmp_path.iterdir()) == []  # no demo hearing recorded, no log


def test_urls_for_this_machine_and_for_the_lan() -> None:
    assert portal_urls("127.0.0.1", 8000) == ["http://127.0.0.1:8000"]
    assert portal_urls("192.168.1.20", 8000) == ["http://192.168.1.20:8000"]
    lan = portal_urls("0.0.0.0", 8000)
    assert lan[0] == "http://127.0.0.1:8000"
    assert all(url.endswith(":8000") and "0.0.0.0" not in url for url in lan)


def test_make_run_relays_media_when_the_portal_is_open_beyond_this_machine(tmp_path: Path) -> None:
    """The store listens on 127.0.0.1 only: a portal on the LAN relays recorded and live media itself."""
    lan, _ = run_system._live_settings(tmp_path, "0.0.0.0")
    assert lan["COURTREC_PORTAL_MEDIA_DELIVERY"] == "portal"
    here, _ = run_system._live_settings(tmp_path, "127.0.0.1")
    assert "COURTREC_PORTAL_MEDIA_DELIVERY" not in here  # presigned store URLs work on this machine
