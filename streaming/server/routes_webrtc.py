"""WHIP ingest (RFC 9725) for agents and WHEP egress for viewers.

``POST /whip/{room}/{stream}`` with a device bearer token and an SDP offer answers ``201 Created``
with the SDP answer and the session URL in ``Location``; ``DELETE`` on that URL ends the session.
Trickle ICE is not supported (``PATCH`` answers 405): our answers carry every candidate.
``/whep/{room}/{stream}`` works the same way for viewers, behind the operator check.
Errors are answered by ``http_errors`` (bad names and offers 400, unknown feeds and sessions 404,
a feed another device publishes 409).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from streaming.feed_id import feed_id_of
from streaming.server.http_deps import SDP_TYPE, DeviceDep, OperatorDep, ServiceDep, read_sdp

router = APIRouter()


@router.post("/whip/{room}/{stream}", status_code=201)
async def whip_publish(
    room: str, stream: str, request: Request, service: ServiceDep, device: DeviceDep
) -> Response:
    """Start publishing ``room/stream`` (the agent's WHIP POST)."""
    offer = await read_sdp(request)
    accepted = await service.publish(device, room, stream, offer)
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


@router.post("/whep/{room}/{stream}", status_code=201, dependencies=[OperatorDep])
async def whep_view(room: str, stream: str, request: Request, service: ServiceDep) -> Response:
    """Start watching ``room/stream`` (a WHEP POST from the wall or any WHEP player)."""
    offer = await read_sdp(request)
    accepted = await service.watch(feed_id_of(room, stream), offer)
    location = str(request.url_for("whep_session", session_id=accepted.session_id))
    return Response(accepted.answer_sdp, status_code=201, media_type=SDP_TYPE, headers={"Location": location})


@router.delete("/whep/sessions/{session_id}", name="whep_session", dependencies=[OperatorDep])
async def whep_end(session_id: str, service: ServiceDep) -> Response:
    """Stop watching."""
    await service.stop_watching(session_id)
    return Response(status_code=200)
