"""A staff form that does one step to one item and shows the item's page (or the new item's) again.

Such a POST checks the session's CSRF token, does its one step in one transaction, and answers 303 to
the item's page (Post/Redirect/Get: a reload does not post again). A refusal the step raises goes to
the portal's error handlers like any other (a 403, 404 or 409 is audited there), unless the form's
handler catches it to show the form again with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session, sessionmaker

from portal.db import transaction
from portal.identity.principal import Principal
from portal.web.csrf import check_session_token

Done = TypeVar("Done")


def step_and_return(
    sessions: sessionmaker[Session],
    caller: Principal,
    csrf_token: str,
    step: Callable[[Session], Done],
    page: str | Callable[[Done], str],
) -> RedirectResponse:
    """Check ``csrf_token`` against ``caller``'s session, run ``step`` in one transaction, then send
    the browser to ``page`` (303) — or, when ``page`` is a function, to the page it names for what
    the step returned (e.g. the new item's), called once the transaction is committed. Blocks: call
    it from a sync handler or a worker thread."""
    check_session_token(caller.csrf_token, csrf_token)
    with transaction(sessions) as db:
        done = step(db)
    return RedirectResponse(page if isinstance(page, str) else page(done), status_code=303)
