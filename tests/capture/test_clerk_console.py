"""The clerk's console of a real ``python -m capture serve`` process (portal unreachable throughout,
its schedule from the disk cache), driven by Debian's Chromium: thumbnails update from the recorder's
own pictures, the meters follow the synthetic tone and read nothing on a silent microphone, a pause
needs a reason, pauses, notes and the readiness check are journaled with who did it, an early stop
needs confirmation; forged and foreign requests are refused, and a console beyond loopback needs its
token. Pictures 320x240 @ 15 fps."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from capture.service import HearingState, RoomSchedule, ScheduledHearing
from capture.service.schedule.schedule_cache import ScheduleCache
from tests.capture.conftest import RunHere, agent_command, journal_events, store_env
from tests.conftest import free_port
from tests.portal.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

CAMERA = "synthetic#size=320x240&fps=15&name=bench-cam"  # picture and a 440 Hz tone (-9 dBFS RMS)
QUIET_MIC = "synthetic#video=0&silence_after=0&name=mic-quiet"  # digital silence from the start
CLERK = "王书记员"
TOKEN = "console-token-for-tests-0123456789"


SERVE_ENV = {"COURTREC_PORTAL_AGENT_TOKEN": "t" * 32, "COURTREC_COURT": "court-a"}


def _serve_arguments(spool: Path, console_port: int, args: tuple[str, ...]) -> list[str]:
    """``capture serve`` for room-a with its console on ``console_port``; the portal never answers."""
    return [
        "serve", "--room", "room-a", "--portal", f"http://127.0.0.1:{free_port()}", "--spool",
        str(spool), "--source", CAMERA, "--source", QUIET_MIC, "--console-port", str(console_port),
        "--preset", "ultrafast", "--segment-seconds", "2", "--refresh-seconds", "60",
        "--report-seconds", "60", "--drain-seconds", "0", *args,
    ]  # fmt: skip


class Serve:
    """``capture serve`` for room-a with its console on a free port; the portal never answers."""

    def __init__(
        self, tmp_path: Path, *, hearing: bool, args: tuple[str, ...] = (), env: dict[str, str] | None = None
    ) -> None:
        self.spool = tmp_path / "spool"
        self.spool.mkdir(parents=True, exist_ok=True)  # a restart records into the same spool
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if hearing:  # a hearing running now, known only from the cache (the portal is down)
            now = datetime.now(UTC)
            scheduled = ScheduledHearing(
                7, "（2026）京0101民初7号", "room-a", now - timedelta(minutes=1), now + timedelta(hours=1),
                HearingState.SCHEDULED,
            )  # fmt: skip
            ScheduleCache(self.spool).save(RoomSchedule("court-a", "room-a", now, (scheduled,)))
        command = agent_command(*_serve_arguments(self.spool, self.port, args))
        environment = store_env(None) | SERVE_ENV
        self.log = tmp_path / "serve.log"
        self._log = self.log.open("ab")
        self.process = subprocess.Popen(
            command, env=environment | (env or {}), stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_up(self) -> None:
        def answers() -> bool:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/static/console.css", timeout=1)
            except httpx.HTTPError:
                return False
            return True

        wait_until(answers, 60, "the console to answer", poll=0.1)  # imports take seconds on a busy PC

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self._log.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (skipped without either)."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    process = Serve(tmp_path, hearing=True)
    process.wait_up()
    yield process
    process.stop()


def _state(serve: Serve) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{serve.url}/api/state", timeout=5).json()
    return answer


def _recording(serve: Serve) -> str:
    wait_until(lambda: _state(serve)["state"] == "recording", 60, "the scheduled hearing to record", poll=0.1)
    recording_id: str = _state(serve)["recording_id"]
    return recording_id


def _events(serve: Serve, recording_id: str, kind: str) -> list[dict[str, object]]:
    return [e for e in journal_events(serve.spool, recording_id) if e["type"] == kind]


def test_the_clerk_works_the_recording_from_the_console_in_chromium(serve: Serve, browser: Any) -> None:
    recording_id = _recording(serve)
    page = browser.new_page()
    pictures: list[Any] = []
    page.on("response", lambda r: pictures.append(r) if "/api/picture/bench-cam" in r.url and r.ok else None)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(serve.url)
    page.fill("#clerk-name", CLERK)
    page.wait_for_selector('#state[data-state="recording"]')
    assert "（2026）京0101民初7号" in page.text_content("#hearing")

    # thumbnails: the page's picture keeps changing (the pattern moves, the overlay clock runs)
    page.wait_for_function("() => document.querySelector('.camera img').naturalWidth === 320")
    wait_until(lambda: len({r.body() for r in list(pictures)}) >= 2, 10, "two different pictures")
    # people read the streams' labels, never their internal names
    assert page.text_content(".camera figcaption") == "审判席摄像机"
    assert all(r.body()[:2] == b"\xff\xd8" for r in pictures)  # JPEG

    # meters: the camera's tone reads about -9 dBFS RMS, the silent microphone nothing
    tone = "() => Number(document.querySelector('.mic[data-stream=\"bench-cam\"]')?.dataset.rms) > -15"
    page.wait_for_function(tone)
    quiet = '.mic[data-stream="mic-quiet"]'
    page.wait_for_function(f"() => document.querySelector('{quiet}')?.dataset.rms === '-100'")
    assert page.eval_on_selector(f"{quiet} .bar", "bar => bar.style.width") == "0%"
    level = float(page.get_attribute('.mic[data-stream="bench-cam"]', "data-rms") or "nan")
    assert -12 < level < -6

    # a pause without a reason is refused, in Chinese, and nothing is journaled
    with page.expect_response("**/api/pause") as refused:
        page.click("#pause-button")
    assert refused.value.status == 422
    assert "须选择原因" in page.text_content("#message")
    assert _events(serve, recording_id, "pause") == []
    page.select_option("#pause-reason", "non_public_evidence")
    page.click("#pause-button")
    page.wait_for_selector('#state[data-state="paused"]')
    [pause] = _events(serve, recording_id, "pause")
    assert (pause["code"], pause["by"], pause["reason"]) == ("non_public_evidence", CLERK, "不公开质证的证据")
    page.click("#resume-button")
    page.wait_for_selector('#state[data-state="recording"]')
    assert [e["by"] for e in _events(serve, recording_id, "resume")] == [CLERK]

    # a log note
    page.select_option("#note-kind", "exhibit")
    page.fill("#note-text", "原告出示借条原件")
    page.click("#note-button")
    page.wait_for_selector("#notes li")
    wait_until(lambda: _events(serve, recording_id, "note"), 5, "the note in the journal")
    [note] = _events(serve, recording_id, "note")
    assert (note["kind"], note["text"], note["by"]) == ("exhibit", "原告出示借条原件", CLERK)

    # the readiness check: the clerk ticks the camera and both microphones; the silent one fails
    for box in page.query_selector_all(".confirm-camera, .confirm-microphone"):
        box.check()
    page.click("#readiness-button")
    page.wait_for_selector("#readiness li")
    [readiness] = _events(serve, recording_id, "readiness")
    checks = {(c["item"], c.get("stream")): c for c in readiness["checks"]}  # type: ignore[union-attr]
    assert readiness["by"] == CLERK and readiness["ready"] is False
    assert checks["camera", "bench-cam"]["ok"] is True and checks["camera", "bench-cam"]["confirmed"] is True
    assert checks["microphone", "bench-cam"]["ok"] is True
    assert checks["microphone", "mic-quiet"]["ok"] is False and checks["microphone", "mic-quiet"]["confirmed"]
    assert {"storage", "upload"} <= {item for item, _ in checks}
    assert "检查未通过" in page.text_content("#readiness")

    # stopping before the expected end asks first; nothing stops until the clerk confirms
    page.click("#stop-button")
    page.wait_for_selector("#confirm-stop:not([hidden])")
    assert "尚未到时" in page.text_content("#confirm-text")
    assert _events(serve, recording_id, "stop") == []
    with page.expect_response("**/api/stop") as stopped:
        page.click("#confirm-stop-button")
    assert stopped.value.status == 200  # answered once the recording has stopped
    page.wait_for_selector('#state[data-state="idle"]')
    [stop] = _events(serve, recording_id, "stop")
    assert CLERK in str(stop["reason"]) and "before the expected end" in str(stop["reason"])

    # an ad-hoc hearing is started from the console: a new recording
    page.fill("#case-number", "临时-1")
    page.click("#start-button")
    page.wait_for_selector('#state[data-state="recording"]')
    again = _state(serve)
    assert again["recording_id"] != recording_id and again["hearing"]["ad_hoc"] is True
    assert [e["by"] for e in _events(serve, again["recording_id"], "note")] == [CLERK]
    assert not [e for e in console_errors if "Content Security Policy" in e]  # the page obeys its own CSP
    page.close()


def _csrf(serve: Serve) -> str:
    found = re.search(r'name="console-csrf" content="([^"]+)"', httpx.get(serve.url, timeout=5).text)
    assert found is not None
    return found.group(1)


def test_forged_and_foreign_requests_change_nothing(serve: Serve, browser: Any) -> None:
    recording_id = _recording(serve)
    csrf = _csrf(serve)
    note = {"by": CLERK, "kind": "text", "text": "forged"}
    headers = {"X-Console-CSRF": csrf}
    forged = [
        httpx.post(f"{serve.url}/api/note", json=note, timeout=5),  # no CSRF token
        httpx.post(f"{serve.url}/api/note", json=note, headers={"X-Console-CSRF": "x" * 43}, timeout=5),
        httpx.post(
            f"{serve.url}/api/note", json=note, headers=headers | {"Origin": "http://evil.example"}, timeout=5
        ),
        httpx.post(  # a simple (no-preflight) body a cross-site form can send
            f"{serve.url}/api/note",
            content=b'{"by":"x","text":"y"}',
            headers=headers | {"Content-Type": "text/plain"},
            timeout=5,
        ),
        # DNS rebinding: another name resolved to 127.0.0.1 is not this console
        httpx.post(f"{serve.url}/api/note", json=note, headers=headers | {"Host": "evil.example"}, timeout=5),
    ]
    assert [r.status_code for r in forged] == [403] * 5
    assert httpx.get(f"{serve.url}/api/state", headers={"Host": "evil.example"}, timeout=5).status_code == 403

    # another site open in the clerk's browser posts a form and a fetch at the console
    page = browser.new_page()
    evil = f"""<form id="f" method="post" action="{serve.url}/api/note" enctype="text/plain">
      <input name='{{"by":"x","kind":"text","text":"forged","pad":"' value='"}}'></form>
      <script>fetch("{serve.url}/api/stop", {{method: "POST", mode: "no-cors",
        body: '{{"by":"x","confirm_early":true}}'}})
        .finally(() => document.getElementById("f").submit());</script>"""
    page.route("http://evil.example/", lambda route: route.fulfill(body=evil, content_type="text/html"))
    with page.expect_response(f"{serve.url}/api/note") as submitted:
        page.goto("http://evil.example/")
    assert submitted.value.status == 403
    page.close()

    assert _events(serve, recording_id, "note") == []
    assert _state(serve)["state"] == "recording"  # the forged stop did nothing
    accepted = httpx.post(f"{serve.url}/api/note", json=note | {"text": "真的"}, headers=headers, timeout=5)
    assert accepted.status_code == 200  # the same request from the console's page is taken
    assert [e["text"] for e in _events(serve, recording_id, "note")] == ["真的"]


def test_a_console_beyond_loopback_without_a_token_does_not_start(
    tmp_path: Path, run_capture_here: RunHere
) -> None:
    # refused before anything starts: run in this process (the message and exit code are under test)
    spool = tmp_path / "spool"
    spool.mkdir()
    refused = run_capture_here(
        *_serve_arguments(spool, free_port(), ("--console-host", "0.0.0.0")), env=SERVE_ENV
    )
    assert refused.returncode == 2
    assert "give it a token" in refused.stderr
    assert not (spool / "recordings").exists()  # refused before recording anything


def test_a_console_beyond_loopback_needs_its_token(tmp_path: Path) -> None:
    token = {"COURTREC_CONSOLE_TOKEN": TOKEN}
    serve = Serve(tmp_path, hearing=False, args=("--console-host", "0.0.0.0"), env=token)
    try:
        serve.wait_up()
        assert httpx.get(f"{serve.url}/api/state", timeout=5).status_code == 401
        assert httpx.get(serve.url, timeout=5).status_code == 401
        assert httpx.get(f"{serve.url}/?token=wrong-token-wrong-token", timeout=5).status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(f"{serve.url}/api/state", headers=bearer, timeout=5).status_code == 200
        with httpx.Client(base_url=serve.url, timeout=5, follow_redirects=True) as client:
            signed_in = client.get(f"/?token={TOKEN}")
            assert signed_in.status_code == 200 and "书记员控制台" in signed_in.text  # after the redirect
            assert client.get("/api/state").json()["state"] == "idle"
            csrf = re.search(r'console-csrf" content="([^"]+)"', signed_in.text)
            assert csrf is not None
            started = client.post("/api/start", json={"by": CLERK}, headers={"X-Console-CSRF": csrf.group(1)})
            assert started.status_code == 200
        no_session = httpx.post(f"{serve.url}/api/stop", json={"by": CLERK}, timeout=5)
        assert no_session.status_code == 401
    finally:
        serve.stop()
