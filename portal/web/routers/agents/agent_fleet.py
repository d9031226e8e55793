"""The device fleet's agent API (bearer token COURTREC_PORTAL_AGENT_TOKEN, also checked before any
body is read by ``agent_gate``). Devices sit behind NAT: they call the portal, never the reverse.
Every call naming a device must also be signed with that device's enrolled key
(``signed_device``): an unenrolled or revoked device, another device's key, an edited body, a stale
timestamp or a replayed request is refused (403, audited).

* ``POST /api/agent/devices/enrol`` ``{device_id, public_key, code}``: enrol with a one-time code;
  the key is approved (journals it signs verify). A wrong, expired or used code is 403, audited.
* ``GET /api/agent/devices/{device_id}/commands?wait=25``: the pending commands, long-polled: answers
  as soon as one is pending, else an empty list after ``wait`` seconds (at most 30). A command stays
  pending until acknowledged.
* ``POST /api/agent/devices/{device_id}/commands/{id}/ack`` ``{result, detail}``: 204 (audited).
* ``POST /api/agent/devices/{device_id}/heartbeat``: the device's state; answers the portal's time.
  The clock offset (device_time against receipt) is kept, and over a second is a drift event.
"""

from __future__ import annotations

import asyncio
import hmac
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from portal.date_range import BoundedDatetime
from portal.db import transaction
from portal.devices.commands import acknowledge, pending_commands, registered_device
from portal.devices.enrolment import EnrolmentRefusedError, audit_refusal, enrol
from portal.devices.fleet import DEVICE_ID_PATTERN
from portal.devices.heartbeats import Heartbeat, Position, record_heartbeat
from portal.errors import AuthenticationError
from portal.web.context import PortalContext
from portal.web.deps import ContextDep, client_ip
from portal.web.routers.agents.signed_device import signed_device

router = APIRouter(tags=["device fleet (agents)"])

DeviceIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=DEVICE_ID_PATTERN)]
CommandIdPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]{1,32}$")]
Authorization = Annotated[str | None, Header()]
MAX_WAIT_SECONDS = 30
SIGNED_BY_DEVICE = Depends(signed_device)  # the device's identity comes from its signature
POLL_SECONDS = 0.5  # how often a long-poll looks for a new command (works across portal processes)


class EnrolIn(BaseModel):
    """A device's enrolment: its id, its Ed25519 public key (base64) and the one-time code."""

    device_id: str = Field(min_length=1, max_length=64, pattern=DEVICE_ID_PATTERN)
    public_key: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=64)


class EnrolOut(BaseModel):
    """The enrolled device and its approved key."""

    device_id: str
    public_key: str
    enrolled_at: datetime


class CommandOut(BaseModel):
    """One pending command."""

    id: str
    action: Literal["activate", "deactivate", "go_live", "stop_live"]
    requested_by: str
    requested_at: datetime


class CommandsOut(BaseModel):
    """The device's pending commands (empty: none within the wait)."""

    commands: list[CommandOut]


class AckIn(BaseModel):
    """The device's answer to a command."""

    result: Literal["done", "refused"]
    detail: str = Field(default="", max_length=500)


class PositionIn(BaseModel):
    """Where the device was and when (its own clock)."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    at: BoundedDatetime


class HeartbeatIn(BaseModel):
    """What a device reports every few seconds."""

    battery_percent: int | None = Field(default=None, ge=0, le=100)
    free_bytes: int = Field(ge=0, le=10**15)
    backlog_segments: int = Field(ge=0, le=10**9)
    backlog_bytes: int = Field(ge=0, le=10**15)
    upload_bytes_per_second: int | None = Field(default=None, ge=0, le=10**12)
    drain_seconds: float | None = Field(default=None, ge=0, le=10**9)
    agent_version: str = Field(max_length=64)
    recording: Literal["standby", "recording", "fault"]
    recording_id: str | None = Field(
        default=None, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
    )
    position: PositionIn | None = None
    device_time: BoundedDatetime


class HeartbeatOut(BaseModel):
    """The portal's time at receipt."""

    server_time: datetime


@router.post(
    "/api/agent/devices/enrol", response_model=EnrolOut, summary="Enrol a device", responses={401: {}}
)
async def api_enrol(
    request: Request, context: ContextDep, body: EnrolIn, authorization: Authorization = None
) -> EnrolOut:
    """Enrol with a one-time code (403 for a wrong, expired or used code; the refusal is audited)."""
    _require_agent(context, authorization)
    ip = client_ip(request)
    return await asyncio.to_thread(_enrol, context, body, ip)


def _enrol(context: PortalContext, body: EnrolIn, ip: str) -> EnrolOut:
    now = context.clock.now()
    try:
        with transaction(context.sessions) as db:
            device = enrol(db, body.device_id, body.public_key, body.code, now=now, ip=ip)
            return EnrolOut(device_id=device.device_id, public_key=body.public_key, enrolled_at=now)
    except EnrolmentRefusedError as refused:
        with transaction(context.sessions) as db:
            audit_refusal(db, body.device_id, refused.reason, now=now, ip=ip)
        raise


@router.get(
    "/api/agent/devices/{device_id}/commands",
    response_model=CommandsOut,
    summary="Pending commands (long-poll)",
    responses={401: {}, 403: {}},
    dependencies=[SIGNED_BY_DEVICE],
)
async def api_commands(
    request: Request,
    context: ContextDep,
    device_id: DeviceIdPath,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
    authorization: Authorization = None,
) -> CommandsOut:
    """The device's pending commands, as soon as there is one or after ``wait`` seconds."""
    _require_agent(context, authorization)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        commands = await asyncio.to_thread(_pending, context, device_id)
        remaining = deadline - loop.time()
        if commands.commands or remaining <= 0 or await request.is_disconnected():
            return commands
        await asyncio.sleep(min(POLL_SECONDS, remaining))


def _pending(context: PortalContext, device_id: str) -> CommandsOut:
    with context.readonly_sessions() as db:
        registered_device(db, device_id)
        return CommandsOut(
            commands=[
                CommandOut(
                    id=c.id, action=c.action.value, requested_by=c.requested_by, requested_at=c.requested_at
                )
                for c in pending_commands(db, device_id)
            ]
        )


@router.post(
    "/api/agent/devices/{device_id}/commands/{command_id}/ack",
    status_code=204,
    summary="Acknowledge a command",
    responses={401: {}, 403: {}},
    dependencies=[SIGNED_BY_DEVICE],
)
async def api_ack(
    request: Request,
    *,
    context: ContextDep,
    device_id: DeviceIdPath,
    command_id: CommandIdPath,
    body: AckIn,
    authorization: Authorization = None,
) -> Response:
    """The device did (or refused) the command; shown on the device page."""
    _require_agent(context, authorization)
    ip = client_ip(request)

    def ack() -> None:
        with transaction(context.sessions) as db:
            registered_device(db, device_id)
            acknowledge(db, device_id, command_id, body.result, body.detail, now=context.clock.now(), ip=ip)

    await asyncio.to_thread(ack)
    return Response(status_code=204)


@router.post(
    "/api/agent/devices/{device_id}/heartbeat",
    response_model=HeartbeatOut,
    summary="Device heartbeat",
    responses={401: {}, 403: {}},
    dependencies=[SIGNED_BY_DEVICE],
)
async def api_heartbeat(
    context: ContextDep,
    device_id: DeviceIdPath,
    body: HeartbeatIn,
    authorization: Authorization = None,
) -> HeartbeatOut:
    """Keep the device's state; the portal's time is answered (the device may judge its clock)."""
    _require_agent(context, authorization)
    position = body.position
    beat = Heartbeat(
        battery_percent=body.battery_percent,
        free_bytes=body.free_bytes,
        backlog_segments=body.backlog_segments,
        backlog_bytes=body.backlog_bytes,
        upload_bytes_per_second=body.upload_bytes_per_second,
        drain_seconds=body.drain_seconds,
        agent_version=body.agent_version,
        recording=body.recording,
        recording_id=body.recording_id,
        position=Position(position.lat, position.lon, position.at) if position else None,
        device_time=body.device_time,
    )

    def keep() -> HeartbeatOut:
        now = context.clock.now()
        with transaction(context.sessions) as db:
            record_heartbeat(db, registered_device(db, device_id), beat, now=now)
        return HeartbeatOut(server_time=now)

    return await asyncio.to_thread(keep)


def _require_agent(context: PortalContext, authorization: str | None) -> None:
    expected = context.agent_token
    presented = (authorization or "").removeprefix("Bearer ").strip()
    if expected is None or not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise AuthenticationError("a capture agent must present its bearer token")
