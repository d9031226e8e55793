"""The presiding judge explains a gap in a hearing's recording (2017 rules art. 4): one form on the
hearing page, answered with a redirect back to it (an explanation supersedes, never edits)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse

from portal.db import transaction
from portal.records.gap_explanations import explain_gap, require_presiding_judge
from portal.web.csrf import check_session_token
from portal.web.deps import ContextDep, DeciderDep, RecordingIdPath, client_ip
from portal.web.forms.form_values import text

router = APIRouter(tags=["gap explanations"])

GapKeyPath = Annotated[int, Path(ge=0, le=2_147_483_647, description="the gap's journal seq")]


@router.post(
    "/staff/recordings/{recording_id}/gaps/{gap_key}/explanation",
    summary="Explain a gap (form)",
    responses={303: {}, 403: {}, 404: {}},
)
async def explain_form(
    request: Request,
    *,
    context: ContextDep,
    staff: DeciderDep,
    recording_id: RecordingIdPath,
    gap_key: GapKeyPath,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    explanation: Annotated[str, Form(max_length=4000)] = "",
) -> RedirectResponse:
    """Store the judge's explanation of one gap (a new one supersedes the last); back to the
    hearing page (the player when the recording has no hearing). Only the case's judge: 403."""
    check_session_token(staff.csrf_token, csrf_token)

    def explain() -> int | None:
        with context.readonly_sessions() as db:  # refused before the bucket is read
            hearing_id = require_presiding_judge(db, staff.actor, recording_id).hearing_id
        marks = context.tracks.get_loaded(recording_id)[1]
        with transaction(context.sessions) as db:
            explain_gap(
                db,
                staff.actor,
                recording_id,
                marks.gap(gap_key),
                text(explanation, "说明", max_length=2000),
                now=context.clock.now(),
                ip=client_ip(request),
            )
        return hearing_id

    hearing_id = await asyncio.to_thread(explain)
    target = f"/staff/hearings/{hearing_id}#gaps" if hearing_id else f"/staff/recordings/{recording_id}"
    return RedirectResponse(target, status_code=303)
