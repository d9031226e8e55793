"""Property-based fuzzing of the portal's API from its own OpenAPI schema (schemathesis, in-process
ASGI): as an administrator (who reaches every staff endpoint) and as a party, every operation must
answer without a 5xx, with a documented status, content type and a body matching its schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher, Type
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from archive.store.object_store import ObjectStore
from portal.clock import FrozenClock
from portal.db import transaction
from portal.identity import passwords
from portal.identity.principal import resolve_principal
from portal.identity.sessions import start_session
from portal.settings import PortalSettings
from portal.web.app import create_app
from tests.portal.conftest import Template, portal_settings, serve_openapi_document

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 12
# Argon2id at its smallest cost for the fuzzed apps only: a fuzzed sign-in verifies the dummy hash up
# to three times (party sign-in) and fuzzed filings hash new access passwords; at the production cost
# (tests/portal/test_passwords.py keeps it) that was most of a sign-in operation's time. The checks
# here are about status codes and schemas, which the cost does not change.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
_CHEAP_DUMMY_HASH = _CHEAP_HASHER.hash("not-a-password-of-anyone")


@pytest.fixture(params=["admin", "party"])
def caller(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _fuzzed_settings(template: Template, data_dir: Path) -> PortalSettings:
    return portal_settings(template.make_url(), data_dir).model_copy(update={"portal_openapi": True})


@pytest.fixture
def fuzzed_app(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: Any,
    tmp_path: Path,
    caller: str,
    openapi_document: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Any]]:
    """The app on a fresh copy of the seeded database, and the cookie + CSRF header of ``caller``;
    the app serves the session's OpenAPI document (FastAPI's own cache, filled in advance); new
    password hashes and the dummy verification use the cheapest Argon2id (see ``_CHEAP_HASHER``)."""
    monkeypatch.setattr(passwords, "_HASHER", _CHEAP_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", _CHEAP_DUMMY_HASH)
    app = create_app(
        _fuzzed_settings(sqlite_template, tmp_path),
        store=recording_store,
        clock=FrozenClock(session_now),
    )
    serve_openapi_document(app, openapi_document)
    context = app.state.portal
    world = sqlite_template.world
    with transaction(context.sessions) as db:
        who = {"user_id": world.users["admin"]} if caller == "admin" else {"party_id": world.party_a}
        token = start_session(db, now=context.clock.now(), ip="fuzz", **who)
        principal = resolve_principal(db, token, now=context.clock.now(), policy=context.session_policy)
    assert principal is not None
    yield {
        "schema": schemathesis.openapi.from_asgi("/openapi.json", app),
        "cookies": {"__Host-session": token},
        "headers": {"X-CSRF-Token": principal.csrf_token},
    }
    context.engine.dispose()


def _operations() -> list[tuple[str, str]]:
    """Every (METHOD, path) in the schema (built from an app with a throwaway database)."""
    app = create_app(
        PortalSettings(
            environment="development",
            database_url="sqlite://",
            portal_cookie_secure=False,
            portal_secret_key="only-for-the-openapi-document",  # no key file in the real data directory
        ),
        store=None,
    )
    spec = app.openapi()
    app.state.portal.engine.dispose()
    return [(method.upper(), path) for path, operations in spec["paths"].items() for method in operations]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_api_never_fails_and_keeps_its_schema(fuzzed_app: dict[str, Any], method: str, path: str) -> None:
    """schemathesis's default checks for one operation; the pytest plugin's lazy schemas do not run
    on pytest 9, so hypothesis drives each operation's strategy here."""
    operation = fuzzed_app["schema"][path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            cookies=fuzzed_app["cookies"],
            headers=fuzzed_app["headers"],
            # random ids are rightly "not found" and business rules rightly refuse (409/422): a
            # schema-valid request need not be accepted
            excluded_checks=[positive_data_acceptance],
        )

    run()
