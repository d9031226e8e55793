"""Remote activation in a real browser (Debian's Chromium under the portal's CSP): an operator signs
in, opens a body camera's page and clicks 远程启动录像; a real HTTP client standing in for the device
(behind NAT: it only calls out) is long-polling the commands API and receives the command at once,
acknowledges it, and the acknowledgement shows on the operator's page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from archive.journal.signing.device_key import DeviceKey
from capture.bodycam.activation import Outcome
from capture.bodycam.portal_link import AgentDeviceClient
from portal.clock import FrozenClock
from portal.db import make_engine, make_sessionmaker, transaction
from portal.devices.enrolment import create_code, enrol
from portal.devices.fleet import register_device
from portal.identity.accounts import create_user, get_or_create_court
from portal.migrate import upgrade
from portal.models import Role
from portal.web.app import create_app
from streaming.settings import StreamingSettings
from tests.portal.conftest import AGENT_TOKEN, portal_settings
from tests.portal.served import ServedApp

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEVICE_KEY = DeviceKey(Ed25519PrivateKey.generate())


@pytest.fixture(params=["device page", "wall"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The portal on a fresh database: one court, operator ``op`` and the body camera ``bodycam-1``;
    for the wall, with the live server mounted (its wall at /live/wall)."""
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    now = datetime.now(UTC).replace(microsecond=0)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as db:
        court = get_or_create_court(db, "bj-cy", "北京市朝阳区人民法院")
        create_user(
            db,
            username="op",
            display_name="刘值班",
            role=Role.OPERATOR,
            password=PASSWORD,
            now=now,
            actor="test",
            court_id=court.id,
        )
        register_device(db, "bodycam-1", "bj-cy", "赵执行", actor="test", now=now)
        _, code = create_code(db, "bodycam-1", actor="test", now=now, lifetime=timedelta(hours=1))
        enrol(db, "bodycam-1", DEVICE_KEY.public_key_b64, code, now=now)
    engine.dispose()
    settings = portal_settings(url, tmp_path).model_copy(
        update={"environment": "development", "portal_cookie_secure": False}
    )
    live = None
    if request.param == "wall":
        live = StreamingSettings(
            ice_host_addresses=["127.0.0.1"],
            ice_allowed_networks=["127.0.0.0/8"],
            public_dir=tmp_path / "public-live",
            node_modules=REPO / "node_modules",
        )
    app = create_app(settings, clock=FrozenClock(now), live=live)
    with ServedApp(app) as server:
        yield server.url if live is None else f"{server.url}#wall"
    app.state.portal.engine.dispose()


class Device(threading.Thread):
    """Long-polls its commands like a body camera, acknowledges the first one, and notes when."""

    def __init__(self, base: str) -> None:
        super().__init__(name="fake-bodycam-poller", daemon=True)
        self.base = base
        self.received: list[dict[str, Any]] = []
        self.received_at = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        client = AgentDeviceClient(self.base, AGENT_TOKEN, "bodycam-1", DEVICE_KEY.sign, timeout=15)
        try:  # the body camera's own client: every call signed with its enrolled key
            deadline = time.monotonic() + 60
            while not self.received and time.monotonic() < deadline:
                self.received = [
                    {"id": c.id, "action": c.action.value, "requested_by": c.requested_by}
                    for c in client.commands(25)
                ]
            self.received_at = time.monotonic()
            for command in self.received:
                client.ack(command["id"], Outcome(done=True, detail="录像 bc-0001 已开始"))
        except BaseException as exc:  # handed to the test thread
            self.error = exc


def test_an_operator_activates_a_bodycam_that_is_long_polling(served: str, chromium: Any) -> None:
    base, _, where = served.partition("#")
    device = Device(base)
    device.start()
    page = chromium.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(f"{base}/login")
        page.fill("input[name=identifier]", "op")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/staff")
        if where == "wall":
            page.click('a[href="/live/wall"]')
            status = page.locator('#fleet li[data-device="bodycam-1"] .command-status')
            page.locator('#fleet li[data-device="bodycam-1"]', has_text="赵执行").wait_for()
            clicked = time.monotonic()
            page.click('#fleet li[data-device="bodycam-1"] button:has-text("远程启动录像")')
        else:
            page.click("text=执法记录仪与设备")
            page.click("a:has-text('bodycam-1')")
            page.locator("#officer", has_text="赵执行").wait_for()
            status = page.locator("#commands")
            clicked = time.monotonic()
            page.click("button:has-text('远程启动录像')")
        device.join(timeout=30)
        assert device.error is None, device.error
        assert [c["action"] for c in device.received] == ["activate"]
        assert device.received_at - clicked < 5  # answered as soon as the command was queued
        assert device.received[0]["requested_by"].endswith("刘值班")
        status.filter(has_text="已执行").wait_for(timeout=15000)  # the page / panel refreshes itself
        assert "录像 bc-0001 已开始" in status.inner_text()
        assert refused == []
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"portal-fleet-{where or 'page'}-FAILED.png"), full_page=True)
        raise
    finally:
        page.close()
