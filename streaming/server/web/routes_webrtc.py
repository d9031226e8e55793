"""WHIP ingest (RFC 9725) for agents and WHEP egress for viewers.

``POST /whip/{room}/{stream}`` with a device bearer token and an SDP offer answers ``201 Created``
with the SDP answer and the session URL in ``Location``; ``DELETE`` on that URL ends the session.
Trickle ICE is not supported (``PATCH`` answers 405): our answers carry every candidate.
``/whep/{room}/{stream}`` works the same way for viewers, behind the operator check.
Errors are answered by ``http_errors`` (bad names and offers 400, a feed the device is not bound
to or that is on public air from another device 403, unknown feeds and sessions 404, a feed another
device publishes 409). A refused publication is checked before its offer is read, and reported as a
security event (``bindings.report_refusal``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from streaming.errors import PublishRefusedError
from streaming.feed_id import feed_id_of
from streaming.server.bindings import PublishRefusal, RefusalSink, report_refusal
from streaming.server.web.http_deps import (
    SDP_TYPE,
    DeviceDep,
    OperatorScopeDep,
    ServiceDep,
    read_sdp,
)

router = APIRouter()


@router.post("/whip/{room}/{stream}", status_code=201)
async def whip_publish(
    room: str, stream: str, request: Request, service: ServiceDep, device: DeviceDep
) -> Response:
    """Start publishing ``room/stream`` (the agent's WHIP POST)."""
    try:
        service.check_publish(device, room, stream)  # before the offer is read
        offer = await read_sdp(request)
        accepted = await service.publish(device, room, stream, offer)
    except PublishRefusedError as exc:
        sink: RefusalSink | None = request.app.state.publish_refused
        client = request.client.host if request.client is not None else ""
        await report_refusal(PublishRefusal(device, f"{room}/{stream}", str(exc), client), sink)
        raise
    location = str(request.url_for("whip_session", session_id=accepted.session_id))
    return Response(accepted.answer_sdp, status_code=201, media_type=SDP_TYPE, headers={"Location": location})


@router.delete("/whip/sessions/{session_id}", name="whip_session")
async def whip_end(session_id: str, service: ServiceDep, device: DeviceDep) -> Response:
    """End a publication."""
    await service.unpublish(session_id, device)
    return Response(status_code=200)


@router.patch("/whip/sessions/{session_id}")
@router.patch("/whep/sessions/{session_id}")
async def no_trickle(session_id: str) -> Response:
    """Trickle ICE and ICE restarts are not supported: answers carry every candidate."""
    return Response(status_code=405, headers={"Allow": "DELETE"})


@router.post("/whep/{room}/{stream}", status_code=201)
async def whep_view(
    room: str, stream: str, request: Request, service: ServiceDep, scope: OperatorScopeDep
) -> Response:
    """Start watching ``room/stream`` (a WHEP POST from the wall or any WHEP player); a feed outside
    the caller's scope is answered like a missing one (404)."""
    feed_id = scope.require(feed_id_of(room, stream))
    offer = await read_sdp(request)
    accepted = await service.watch(feed_id, offer)
    location = str(request.url_for("whep_session", session_id=accepted.session_id))
    return Response(accepted.answer_sdp, status_code=201, media_type=SDP_TYPE, headers={"Location": location})


@router.delete("/whep/sessions/{session_id}", name="whep_session")
async def whep_end(session_id: str, service: ServiceDep, scope: OperatorScopeDep) -> Response:
    """Stop watching; only an operator whose scope holds the watched feed may end the session."""
    await service.stop_watching(session_id, scope)
    return Response(status_code=200)
