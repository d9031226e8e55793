"""Remote activation, device side: the agent long-polls a real HTTP server implementing the portal's
three agent routes (commands, ack, heartbeat), obeys, acknowledges and reports, each call signed
with the device's key (checked here with the shared message format). The portal side is tested with
the portal; this server only holds what a test needs to look at."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Header, HTTPException, Request, Response

from archive.formats.device_request import RequestSignature, request_message
from archive.journal import ActivationTrigger
from archive.journal.signing.device_key import DeviceKey, verify_signature
from archive.spool import UploadQueue, queue_path
from capture.bodycam.activation import Action, ActivationRequest
from capture.bodycam.agent import BodycamAgent, BodycamConfig
from capture.bodycam.heartbeat import heartbeat_report, position_of
from capture.bodycam.portal_link import AgentDeviceClient, PortalLink
from capture.recording.recorder import Recorder
from capture.recording.stream.stream_pipeline import StreamSettings
from devices import PositionFix, parse_source_spec
from tests.capture.conftest import journal_events
from tests.conftest import free_port
from tests.uvicorn_signals import without_signal_handlers
from tests.waiting import wait_until
from timebase import SystemClock

pytestmark = pytest.mark.integration

TOKEN = "agent-token-for-tests"
DEVICE = "bodycam-9"
SOURCE = "synthetic#size=320x240&fps=15&audio=0&name=cam"
DEVICE_KEY = DeviceKey(Ed25519PrivateKey.generate())


@dataclass
class FakePortalState:
    """What the command centre queued and what the device sent back."""

    queued: list[dict[str, str]] = field(default_factory=list)
    acks: dict[str, dict[str, str]] = field(default_factory=dict)
    heartbeats: list[dict[str, object]] = field(default_factory=list)
    refused_tokens: int = 0
    bad_signatures: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)

    def command(self, command_id: str, action: str, by: str = "operator li") -> None:
        at = datetime.now(UTC).isoformat()
        self.queued.append({"id": command_id, "action": action, "requested_by": by, "requested_at": at})
        self.arrived.set()


def _app(state: FakePortalState) -> FastAPI:
    app = FastAPI()

    async def check(authorization: str | None, request: Request) -> None:
        if authorization != f"Bearer {TOKEN}":
            state.refused_tokens += 1
            raise HTTPException(401, "bad token")
        signed = RequestSignature.from_headers({k.lower(): v for k, v in request.headers.items()})
        message = request_message(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            body=await request.body(),
            device_id=signed.device_id,
            timestamp_ms=signed.timestamp_ms,
            nonce=signed.nonce,
        )
        if signed.device_id != DEVICE or not verify_signature(
            DEVICE_KEY.public_key_b64, message, signed.signature
        ):
            state.bad_signatures += 1
            raise HTTPException(403, "bad signature")

    @app.get("/api/agent/devices/{device_id}/commands")
    async def commands(
        device_id: str, request: Request, wait: int = 25, authorization: str | None = Header(None)
    ) -> object:
        await check(authorization, request)
        assert device_id == DEVICE
        await asyncio.to_thread(state.arrived.wait, wait)  # the long poll: until a command or ``wait`` s
        state.arrived.clear()
        taken, state.queued[:] = list(state.queued), []
        return {"commands": taken}

    @app.post("/api/agent/devices/{device_id}/commands/{command_id}/ack", status_code=204)
    async def ack(
        device_id: str,
        command_id: str,
        body: dict[str, str],
        request: Request,
        authorization: str | None = Header(None),
    ) -> Response:
        await check(authorization, request)
        state.acks[command_id] = body
        return Response(status_code=204)

    @app.post("/api/agent/devices/{device_id}/heartbeat")
    async def heartbeat(
        device_id: str, body: dict[str, object], request: Request, authorization: str | None = Header(None)
    ) -> object:
        await check(authorization, request)
        state.heartbeats.append(body)
        return {"server_time": datetime.now(UTC).isoformat()}

    return app


@pytest.fixture
def portal() -> Iterator[tuple[str, FakePortalState]]:
    state = FakePortalState()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_app(state), host="127.0.0.1", port=port, log_level="warning"))
    without_signal_handlers(server)
    thread = threading.Thread(target=server.run, name="fake-portal", daemon=True)
    thread.start()
    wait_until(lambda: server.started, 30, "the fake portal to listen")
    yield f"http://127.0.0.1:{port}", state
    server.should_exit = True
    thread.join(timeout=30)


@dataclass
class RunningDevice:
    agent: BodycamAgent
    link: PortalLink
    stop: threading.Event
    thread: threading.Thread
    queue: UploadQueue


@pytest.fixture
def start_device(tmp_path: Path) -> Iterator[object]:
    running: list[RunningDevice] = []

    def start(portal_url: str, token: str = TOKEN, spool_name: str = "spool") -> RunningDevice:
        spool = tmp_path / spool_name
        spool.mkdir(exist_ok=True)
        config = BodycamConfig(
            device_id=DEVICE,
            court="demo-court",
            unit=DEVICE,
            spool=spool,
            sources=[parse_source_spec(SOURCE)],
            pre_event_seconds=2,
            stream=StreamSettings(segment_seconds=2, preset="ultrafast"),
        )
        clock = SystemClock()
        agent = BodycamAgent(config, lambda plan: Recorder(plan, None, uploads_elsewhere=True))
        queue = UploadQueue(queue_path(spool), clock=clock)
        now = clock.now()
        position = position_of(lambda: PositionFix(lat=39.9, lon=116.4, fix_time=now, received_at=now))
        link = PortalLink(
            AgentDeviceClient(portal_url, token, DEVICE, DEVICE_KEY.sign),
            agent.inbox,
            lambda: heartbeat_report(agent, queue, spool, position, clock),
            heartbeat_seconds=0.5,
            command_wait=2,
        )
        agent.on_change = link.beat_soon
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        device = RunningDevice(agent, link, stop, thread, queue)
        thread.start()
        link.start()
        running.append(device)
        return device

    yield start
    for device in running:
        device.link.stop()
        device.stop.set()
        device.thread.join(timeout=60)
        device.queue.close()


def test_a_command_centre_request_activates_and_deactivates_the_device(
    portal: tuple[str, FakePortalState], start_device: object, tmp_path: Path
) -> None:
    url, state = portal
    device: RunningDevice = start_device(url)  # type: ignore[operator]
    wait_until(lambda: state.heartbeats, 30, "a first heartbeat")
    beat = state.heartbeats[0]
    assert beat["recording"] == "standby" and beat["recording_id"] is None
    assert isinstance(beat["free_bytes"], int) and beat["free_bytes"] > 0
    assert beat["battery_percent"] is None or 0 <= int(str(beat["battery_percent"])) <= 100
    assert beat["backlog_segments"] == 0 and beat["agent_version"]
    assert beat["position"] is not None and datetime.fromisoformat(str(beat["device_time"])).tzinfo

    wait_until(lambda: device.agent.standby_bytes() > 0, 30, "pictures in the pre-event buffer")
    state.command("c-1", "activate")
    wait_until(lambda: "c-1" in state.acks, 60, "the activate command's ack")
    assert state.acks["c-1"]["result"] == "done", state.acks
    recording_id = device.agent.recording_id
    assert recording_id is not None and recording_id in state.acks["c-1"]["detail"]
    wait_until(
        lambda: state.heartbeats[-1]["recording_id"] == recording_id, 30, "a heartbeat while recording"
    )
    assert state.heartbeats[-1]["recording"] == "recording"

    state.command("c-2", "go_live")
    wait_until(lambda: "c-2" in state.acks, 30, "the go_live command's ack")
    assert state.acks["c-2"]["result"] == "refused" and "--live" in state.acks["c-2"]["detail"]

    stream_dir = tmp_path / "spool" / "recordings" / recording_id / "cam"
    wait_until(lambda: any(stream_dir.glob("*.m4s")), 60, "a sealed segment")
    state.command("c-3", "deactivate", by="operator wang")
    wait_until(lambda: "c-3" in state.acks, 60, "the deactivate command's ack")
    assert state.acks["c-3"]["result"] == "done"
    wait_until(lambda: state.heartbeats[-1]["recording"] == "standby", 30, "a heartbeat on standby again")
    assert int(str(state.heartbeats[-1]["backlog_segments"])) >= 1  # no store: the segments wait
    assert state.refused_tokens == 0 and state.bad_signatures == 0

    events = journal_events(tmp_path / "spool", recording_id)
    activate = next(e for e in events if e["type"] == "activate")
    deactivate = next(e for e in events if e["type"] == "deactivate")
    assert (activate["trigger"], activate["by"]) == ("remote", "operator li")
    assert (deactivate["trigger"], deactivate["by"]) == ("remote", "operator wang")


def test_an_unreachable_or_refusing_portal_never_stops_the_recording(
    portal: tuple[str, FakePortalState], start_device: object, tmp_path: Path
) -> None:
    url, state = portal
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    device: RunningDevice = start_device(down)  # type: ignore[operator]
    wrong = start_device(url, "a-wrong-token", "other-spool")  # type: ignore[operator]
    wait_until(lambda: state.refused_tokens >= 2, 30, "the portal refusing the wrong token")
    state.command("c-9", "activate")  # queued, but the device with the wrong token never gets it

    device.agent.inbox.put(ActivationRequest(Action.ACTIVATE, ActivationTrigger.BUTTON, by="officer"))
    wait_until(lambda: device.agent.recording_id is not None, 60, "the local activation")
    recording_id = device.agent.recording_id
    stream_dir = tmp_path / "spool" / "recordings" / str(recording_id) / "cam"
    wait_until(lambda: len(list(stream_dir.glob("*.m4s"))) >= 2, 60, "segments while the portal is away")
    assert device.agent.recording_id == recording_id
    assert "c-9" not in state.acks and wrong.agent.recording_id is None
