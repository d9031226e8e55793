"""Audit a public viewer's live or replay view from the request that starts it (see
``portal.audit.public_views``): the page or playlist answered once per viewing session, never a
cached page or a segment."""

from __future__ import annotations

from fastapi import Request

from portal.audit.public_views import ViewKind
from portal.hearings.notices import NoticeView
from portal.web.context import PortalContext
from portal.web.deps import client_ip


async def audit_public_view(
    request: Request, context: PortalContext, notice: NoticeView, kind: ViewKind
) -> None:
    """One audit record for this viewer of ``notice``'s hearing, unless they viewed it within the window."""
    await context.public_views.viewed(
        notice.hearing_id,
        kind,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:512],
        notice_id=notice.id,
    )
