"""The clerk's console's access rules, without a server: loopback needs the console's own Host,
beyond loopback a token (compared in full), and writes need the page's CSRF token, a JSON body and
the console's own Origin."""

from __future__ import annotations

import pytest

from capture.errors import CaptureError
from capture.service.console.access import AccessRefused, ConsoleAccess, is_loopback

TOKEN = "a-console-token-of-some-length"


def _refused(check: object) -> int:
    assert callable(check)
    with pytest.raises(AccessRefused) as refused:
        check()
    return refused.value.status


def test_loopback_answers_only_its_own_host_names() -> None:
    access = ConsoleAccess("127.0.0.1", 8088, None)
    for host in ("127.0.0.1:8088", "localhost:8088", "[::1]:8088"):
        access.check_reader(host, None, None)
    assert _refused(lambda: access.check_reader("evil.example:8088", None, None)) == 403  # DNS rebinding
    assert _refused(lambda: access.check_reader("127.0.0.1:9999", None, None)) == 403
    assert _refused(lambda: access.check_reader(None, None, None)) == 403


def test_beyond_loopback_a_token_is_required_and_checked() -> None:
    with pytest.raises(CaptureError, match="give it a token"):
        ConsoleAccess("0.0.0.0", 8088, None)
    with pytest.raises(CaptureError, match="at least 16"):
        ConsoleAccess("0.0.0.0", 8088, "short")
    access = ConsoleAccess("0.0.0.0", 8088, TOKEN)
    assert _refused(lambda: access.check_reader("pc:8088", None, None)) == 401
    assert _refused(lambda: access.check_reader("pc:8088", "forged-session", None)) == 401
    assert _refused(lambda: access.check_reader("pc:8088", None, f"Bearer {TOKEN[:-1]}")) == 401
    access.check_reader("pc:8088", None, f"Bearer {TOKEN}")
    assert access.login("wrong") is None
    session = access.login(TOKEN)
    assert session is not None
    access.check_reader("pc:8088", session, None)
    assert (
        _refused(lambda: access.check_reader("pc:8088", "中文", None)) == 401
    )  # not ASCII: refused, no crash


def test_writes_need_the_pages_csrf_token_json_and_the_same_origin() -> None:
    access = ConsoleAccess("127.0.0.1", 8088, None)
    host = "127.0.0.1:8088"
    access.check_writer(host, None, access.csrf, "application/json")
    access.check_writer(host, f"http://{host}", access.csrf, "application/json; charset=utf-8")
    assert _refused(lambda: access.check_writer(host, None, None, "application/json")) == 403
    assert _refused(lambda: access.check_writer(host, None, access.csrf + "x", "application/json")) == 403
    assert (
        _refused(lambda: access.check_writer(host, "http://evil.example", access.csrf, "application/json"))
        == 403
    )
    assert _refused(lambda: access.check_writer(host, "null", access.csrf, "application/json")) == 403
    assert _refused(lambda: access.check_writer(host, None, access.csrf, "text/plain")) == 403
    assert ConsoleAccess("127.0.0.1", 8088, None).csrf != access.csrf  # one per process


def test_loopback_names() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("pc")
