"""WHIP ingest (RFC 9725) for agents and WHEP egress for viewers.

``POST /whip/{room}/{stream}`` with a device bearer token and an SDP offer answers ``201 Created``
with the SDP answer and the session URL in ``Location``; ``DELETE`` on that URL ends the session.
Trickle ICE is not supported (``PATCH`` answers 405): our answers carry every candidate.
``/whep/{room}/{stream}`` works the same way for viewers, behind the operator check.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from streaming.errors import FeedNotFoundError, FeedTakenError, SessionNotFoundError, SignalingError
from streaming.server.http_deps import SDP_TYPE, DeviceDep, OperatorDep, ServiceDep, read_sdp
from streaming.server.service import feed_id_of

router = APIRouter()


@router.post("/whip/{room}/{stream}", status_code=201)
async def whip_publish(
    room: str, stream: str, request: Request, service: ServiceDep, device: DeviceDep
) -> Response:
    """Start publishing ``room/stream`` (the agent's WHIP POST)."""
    offer = await read_sdp(request)
    try:
        session_id, answer = await service.publish(device, room, stream, offer)
    except (FeedNotFoundError, SignalingError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    except FeedTakenError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    location = str(request.url_for("whip_session", session_id=session_id))
    return Response(answer, status_code=201, media_type=SDP_TYPE, headers={"Location": location})


@router.delete("/whip/sessions/{session_id}", name="whip_session")
async def whip_end(session_id: str, service: ServiceDep, device: DeviceDep) -> Response:
    """End a publication."""
    try:
        await service.unpublish(session_id, device)
    except SessionNotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
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
    try:
        session_id, answer = await service.watch(feed_id_of(room, stream), offer)
    except FeedNotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except SignalingError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    location = str(request.url_for("whep_session", session_id=session_id))
    return Response(answer, status_code=201, media_type=SDP_TYPE, headers={"Location": location})


@router.delete("/whep/sessions/{session_id}", name="whep_session", dependencies=[OperatorDep])
async def whep_end(session_id: str, service: ServiceDep) -> Response:
    """Stop watching."""
    try:
        await service.stop_watching(session_id)
    except SessionNotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    return Response(status_code=200)
