"""The device fleet on the staff pages (court IT and command-centre operators).

* ``/staff/devices``: every device of the caller's courts with its latest heartbeat and its alarms
  (offline too long, low storage, low battery, recording failure, clock drift); administrators
  register a device there and get its one-time enrolment code (shown once on a slip, PRG).
* ``/staff/devices/{device_id}``: one device, its commands and their answers, its drift events; the
  operator's buttons 远程启动录像 / 开始直播 … queue a command the device fetches when it next
  hears the portal (``agent_fleet``). ``/api/devices…`` is the same for the wall's button.
Operators reach their courts' devices, administrators all (``portal.devices.fleet``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import transaction
from portal.devices.commands import ACTION_NAMES, recent_commands, request_command
from portal.devices.enrolment import create_code
from portal.devices.fleet import (
    DEVICE_ID_PATTERN,
    assign_officer,
    device_in_scope,
    devices_in_scope,
    register_device,
)
from portal.devices.heartbeats import STATE_NAMES, device_alarms, drift_events
from portal.errors import InvalidInputError, NotFoundError
from portal.identity.principal import Principal
from portal.models import CommandAction, Court, DeviceCommand, FleetDevice
from portal.web.context import PortalContext
from portal.web.csrf import check_session_token
from portal.web.deps import AdminDep, ContextDep, CsrfChecked, OperatorDep, client_ip
from portal.web.forms.enrolment_slips import EnrolmentSlip
from portal.web.forms.form_steps import step_and_return
from portal.web.forms.session_slips import SHOWN, shown_once_page
from portal.web.http_errors import status_of
from portal.web.templates import render

router = APIRouter()
API: list[str | Enum] = ["device fleet"]
PAGES: list[str | Enum] = ["staff pages"]

DeviceIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=DEVICE_ID_PATTERN)]
SlipId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
FormText = Annotated[str, Form(max_length=500)]
NO_STORE = {"Cache-Control": "no-store"}


class CommandIn(BaseModel):
    """An operator's command to a device."""

    action: CommandAction


class CommandOut(BaseModel):
    """A command and the device's answer (``result`` None: pending)."""

    id: str
    device_id: str
    action: str
    requested_by: str
    requested_at: datetime
    acked_at: datetime | None
    result: str | None
    detail: str


class DeviceOut(BaseModel):
    """A device and its latest heartbeat, with its alarms (Chinese)."""

    device_id: str
    court_id: int
    officer: str
    enrolled: bool
    last_heartbeat_at: datetime | None
    battery_percent: int | None
    free_bytes: int | None
    backlog_segments: int | None
    backlog_bytes: int | None
    upload_bytes_per_second: int | None
    drain_seconds: float | None
    agent_version: str
    recording: str
    recording_id: str | None
    lat: float | None
    lon: float | None
    position_at: datetime | None
    clock_offset_seconds: float | None
    alarms: list[str]
    last_command: CommandOut | None


@router.get("/api/devices", response_model=list[DeviceOut], summary="Devices (operators)", tags=API)
def api_devices(context: ContextDep, operator: OperatorDep) -> list[DeviceOut]:
    """Every device of the caller's courts with its state and alarms."""
    now = context.clock.now()
    with context.readonly_sessions() as db:
        return [
            _device_out(
                d,
                device_alarms(d, context.device_alarm_thresholds, now=now),
                recent_commands(db, d.device_id, 1),
            )
            for d in devices_in_scope(db, operator.actor)
        ]


@router.post(
    "/api/devices/{device_id}/commands",
    response_model=CommandOut,
    status_code=201,
    summary="Command a device",
    tags=API,
)
async def api_command(
    request: Request,
    context: ContextDep,
    operator: OperatorDep,
    _csrf: CsrfChecked,
    device_id: DeviceIdPath,
    body: CommandIn,
) -> CommandOut:
    """Queue a command for the device (audited); it is carried out when the device next polls."""
    ip = client_ip(request)

    def queue() -> CommandOut:
        with transaction(context.sessions) as db:
            command = request_command(
                db, operator.actor, device_id, body.action, now=context.clock.now(), ip=ip
            )
            return command_out(command)

    return await asyncio.to_thread(queue)


@router.get("/staff/devices", response_class=HTMLResponse, summary="Device fleet page", tags=PAGES)
def devices_page(request: Request, context: ContextDep, operator: OperatorDep) -> HTMLResponse:
    """The fleet: each device, its state and alarms (reloads itself every 10 seconds)."""
    return _devices_page(request, context, operator)


def _devices_page(
    request: Request,
    context: PortalContext,
    operator: Principal,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = context.clock.now()
    with context.readonly_sessions() as db:
        devices = devices_in_scope(db, operator.actor)
        rows = [(d, device_alarms(d, context.device_alarm_thresholds, now=now)) for d in devices]
        courts = {c.id: c for c in db.scalars(select(Court).order_by(Court.name))}
        values = {
            "rows": rows,
            "courts": courts,
            "states": STATE_NAMES,
            "now": now,
            "error": error,
            "typed": typed or {},
            "alarmed": sum(1 for _, alarms in rows if alarms),
        }
        return render(request, "staff_devices.html", values, status=status)


@router.post("/staff/devices", summary="Register a device (form)", responses={303: {}}, tags=PAGES)
def register_form(
    request: Request,
    *,
    context: ContextDep,
    admin: AdminDep,
    csrf_token: FormText = "",
    device_id: FormText = "",
    court: FormText = "",
    officer: FormText = "",
) -> Response:
    """Register a device for a court and issue its first enrolment code (shown once)."""
    check_session_token(admin.csrf_token, csrf_token)
    now = context.clock.now()
    try:
        with transaction(context.sessions) as db:
            register_device(
                db, device_id.strip(), court.strip(), officer, actor=admin.actor.audit_name, now=now
            )
            slip = _issue(context, db, admin, device_id.strip(), now)
    except InvalidInputError as exc:
        typed = {"device_id": device_id, "court": court, "officer": officer}
        return _devices_page(request, context, admin, error=str(exc), typed=typed, status=status_of(exc))
    return _to_slip(context, admin, slip)


@router.post(
    "/staff/devices/{device_id}/enrol-code",
    summary="New enrolment code (form)",
    responses={303: {}},
    tags=PAGES,
)
def enrol_code_form(
    context: ContextDep,
    admin: AdminDep,
    device_id: DeviceIdPath,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """A new one-time enrolment code for the device (shown once)."""
    check_session_token(admin.csrf_token, csrf_token)
    now = context.clock.now()
    with transaction(context.sessions) as db:
        device_in_scope(db, admin.actor, device_id)
        slip = _issue(context, db, admin, device_id, now)
    return _to_slip(context, admin, slip)


def _issue(
    context: PortalContext, db: Session, admin: Principal, device_id: str, now: datetime
) -> EnrolmentSlip:
    lifetime = timedelta(hours=context.settings.portal_enrolment_code_hours)
    row, code = create_code(db, device_id, actor=admin.actor.audit_name, now=now, lifetime=lifetime)
    return EnrolmentSlip(device_id, code, row.expires_at, now, admin.actor.display_name)


def _to_slip(context: PortalContext, admin: Principal, slip: EnrolmentSlip) -> Response:
    slip_id = context.enrolment_slips.keep(context.sessions, admin.token_hash, slip, now=context.clock.now())
    return RedirectResponse(f"/staff/enrolment-slips/{slip_id}", status_code=303)


@router.get(
    "/staff/enrolment-slips/{slip_id}", response_class=HTMLResponse, summary="Enrolment code slip", tags=PAGES
)
def slip_page(request: Request, context: ContextDep, admin: AdminDep, slip_id: SlipId) -> HTMLResponse:
    """The code, shown once, to this session only and for a few minutes (never stored in clear)."""
    slip = context.enrolment_slips.take(context.sessions, slip_id, admin.token_hash, context.clock.now())
    if slip == SHOWN:
        return shown_once_page(request, "登记码只显示一次，已经显示过；如需登记码，请重新生成")
    if slip is None:
        raise NotFoundError(
            "登记码只显示一次，此页面已显示过、已过期或不属于本次登录：如需登记码，请重新生成"
        )
    return render(request, "staff_enrolment_slip.html", {"slip": slip}, headers=NO_STORE)


@router.get("/staff/devices/{device_id}", response_class=HTMLResponse, summary="Device page", tags=PAGES)
def device_page(
    request: Request, context: ContextDep, operator: OperatorDep, device_id: DeviceIdPath
) -> HTMLResponse:
    """One device: its state, alarms, commands and their answers, clock drift events."""
    now = context.clock.now()
    with context.readonly_sessions() as db:
        device = device_in_scope(db, operator.actor, device_id)
        court = db.get(Court, device.court_id)
        values = {
            "device": device,
            "court": court,
            "alarms": device_alarms(device, context.device_alarm_thresholds, now=now),
            "commands": recent_commands(db, device_id),
            "drifts": drift_events(db, device_id),
            "states": STATE_NAMES,
            "actions": ACTION_NAMES,
            "now": now,
        }
        return render(request, "staff_device.html", values)


@router.post(
    "/staff/devices/{device_id}/commands", summary="Command a device (form)", responses={303: {}}, tags=PAGES
)
async def command_form(
    request: Request,
    *,
    context: ContextDep,
    operator: OperatorDep,
    device_id: DeviceIdPath,
    csrf_token: FormText = "",
    action: FormText = "",
) -> Response:
    """Queue a command (远程启动录像, 开始直播 …) and return to the device page."""
    ip = client_ip(request)

    def queue(db: Session) -> None:
        try:
            chosen = CommandAction(action)
        except ValueError:
            raise InvalidInputError(f"未知的指令 {action!r}") from None
        request_command(db, operator.actor, device_id, chosen, now=context.clock.now(), ip=ip)

    page = f"/staff/devices/{device_id}"
    return await asyncio.to_thread(step_and_return, context.sessions, operator, csrf_token, queue, page)


@router.post(
    "/staff/devices/{device_id}/officer", summary="Assign the officer (form)", responses={303: {}}, tags=PAGES
)
def officer_form(
    *,
    context: ContextDep,
    operator: OperatorDep,
    device_id: DeviceIdPath,
    csrf_token: FormText = "",
    officer: FormText = "",
) -> Response:
    """Assign who carries the device (audited)."""

    def assign(db: Session) -> None:
        assign_officer(db, operator.actor, device_id, officer, now=context.clock.now())

    return step_and_return(context.sessions, operator, csrf_token, assign, f"/staff/devices/{device_id}")


def command_out(c: DeviceCommand) -> CommandOut:
    """The API form of a command."""
    return CommandOut(
        id=c.id,
        device_id=c.device_id,
        action=c.action.value,
        requested_by=c.requested_by,
        requested_at=c.requested_at,
        acked_at=c.acked_at,
        result=c.result,
        detail=c.detail,
    )


def _device_out(d: FleetDevice, alarms: list[str], latest: list[DeviceCommand]) -> DeviceOut:
    return DeviceOut(
        device_id=d.device_id,
        court_id=d.court_id,
        officer=d.officer,
        enrolled=d.public_key is not None,
        last_heartbeat_at=d.last_heartbeat_at,
        battery_percent=d.battery_percent,
        free_bytes=d.free_bytes,
        backlog_segments=d.backlog_segments,
        backlog_bytes=d.backlog_bytes,
        upload_bytes_per_second=d.upload_bytes_per_second,
        drain_seconds=d.drain_seconds,
        agent_version=d.agent_version,
        recording=d.recording_state,
        recording_id=d.recording_id,
        lat=d.position_lat,
        lon=d.position_lon,
        position_at=d.position_at,
        clock_offset_seconds=d.clock_offset_seconds,
        alarms=alarms,
        last_command=command_out(latest[0]) if latest else None,
    )
