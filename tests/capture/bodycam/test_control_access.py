"""The body camera's local control endpoint admits only callers holding the token from a file only
the agent's user may read (issue 15): other local users and processes reach loopback too."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path

import pytest

from capture.bodycam.activation import Action, ActivationInbox, Outcome
from capture.bodycam.control_token import load_or_create_control_token
from capture.bodycam.local_triggers import LocalControl
from capture.errors import CaptureError


def _call(port: int, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        body = b'{"by": "officer"}' if method == "POST" else None
        connection.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_a_control_request_without_the_token_is_refused(tmp_path: Path) -> None:
    token = load_or_create_control_token(tmp_path / "device" / "control-token")
    inbox = ActivationInbox()
    control = LocalControl(inbox, 0, lambda: {"recording": "standby"}, token=token)
    control.start()
    try:
        port = control.port
        bearer = {"Authorization": f"Bearer {token}"}
        for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": token[:-1]}):
            assert _call(port, "POST", "/activate", headers)[0] == 401
            assert _call(port, "GET", "/status", headers)[0] == 401
        rebound = {**bearer, "Host": f"evil.example:{port}"}  # a page rebinding its name to 127.0.0.1
        assert _call(port, "POST", "/activate", rebound)[0] == 403
        assert inbox.get(timeout=0.2) is None  # nothing refused reached the camera

        assert _call(port, "GET", "/status", bearer) == (200, {"recording": "standby"})
        # with the token, the request reaches the camera (answered here by the test)
        request_seen: list[Action] = []

        def answer() -> None:
            request = inbox.get(timeout=10)
            assert request is not None and request.reply is not None
            request_seen.append(request.action)
            request.reply(Outcome(done=True, detail="recording r-1"))

        responder = threading.Thread(target=answer)
        responder.start()
        assert _call(port, "POST", "/activate", bearer) == (
            200,
            {"result": "done", "detail": "recording r-1"},
        )
        responder.join(timeout=10)
        assert request_seen == [Action.ACTIVATE]
    finally:
        control.close()


def test_the_token_file_is_made_owner_only_and_refused_when_others_can_read_it(tmp_path: Path) -> None:
    path = tmp_path / "device" / "control-token"
    token = load_or_create_control_token(path)
    assert len(token) >= 32 and path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_control_token(path) == token  # the same token on the next start
    path.chmod(0o644)
    with pytest.raises(CaptureError, match="chmod 600"):
        load_or_create_control_token(path)
    path.chmod(0o600)
    path.write_text("short\n")
    with pytest.raises(CaptureError, match="at least 32"):
        load_or_create_control_token(path)
