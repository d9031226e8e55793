"""Property-based fuzzing of the portal's API from its own OpenAPI schema (schemathesis, in-process
ASGI): as an administrator (who reaches every staff endpoint) and as a party, every operation must
answer without a 5xx, with a documented status, content type and a body matching its schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher, Type
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from archive.store.object_store import ObjectStore
from portal.clock import FrozenClock
from portal.db import transaction
from portal.identity import passwords
from portal.identity.principal import resolve_principal
from portal.identity.sessions import start_session
from portal.models import User
from portal.settings import PortalSettings
from portal.web.app import create_app
from tests.portal.conftest import Template, portal_settings, serve_openapi_document
from tests.portal.world import World

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 12
# Argon2id at its smallest cost for the fuzzed apps only: a fuzzed sign-in verifies the dummy hash up
# to three times (party sign-in) and fuzzed filings hash new access passwords; at the production cost
# (tests/portal/test_passwords.py keeps it) that was most of a sign-in operation's time. The checks
# here are about status codes and schemas, which the cost does not change.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
_CHEAP_DUMMY_HASH = _CHEAP_HASHER.hash("not-a-password-of-anyone")


@pytest.fixture(scope="module", params=["admin", "party"])
def caller(request: pytest.FixtureRequest) -> str:
    """Module-scoped, so that pytest runs every operation of one caller against one app."""
    return str(request.param)


def _fuzzed_settings(template: Template, data_dir: Path) -> PortalSettings:
    return portal_settings(template.make_url(), data_dir).model_copy(update={"portal_openapi": True})


@dataclass
class FuzzedApp:
    """One caller's app, its schemathesis schema, and the caller's current session."""

    app: FastAPI
    schema: Any
    caller: str
    world: World
    token: str = ""
    csrf: str = ""

    def ensure_signed_in(self) -> None:
        """Give the caller a live session again if the fuzz ended it (DELETE /api/session, a sign-in
        with the session's cookie, a password change, or disabling the administrator's own account,
        whose id a fuzzed id can hit) — so a later operation still runs as the caller."""
        context = self.app.state.portal
        with transaction(context.sessions) as db:
            now = context.clock.now()
            principal = resolve_principal(db, self.token, now=now, policy=context.session_policy)
            if principal is None:
                if self.caller == "admin":
                    admin = db.get(User, self.world.users["admin"])
                    assert admin is not None
                    admin.disabled = False
                    who: dict[str, int] = {"user_id": admin.id}
                else:
                    who = {"party_id": self.world.party_a}
                self.token = start_session(db, now=now, ip="fuzz", **who)
                principal = resolve_principal(db, self.token, now=now, policy=context.session_policy)
        assert principal is not None, f"the fuzzing {self.caller} cannot sign in again"
        self.csrf = principal.csrf_token


@pytest.fixture(scope="module")
def fuzzed_app(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: Any,
    tmp_path_factory: pytest.TempPathFactory,
    caller: str,
    openapi_document: dict[str, Any],
) -> Iterator[FuzzedApp]:
    """One app per caller for the whole module, on a fresh copy of the seeded database: building an
    app and a schemathesis schema per operation was most of this module's time. The operations
    therefore see the database as the earlier operations' fuzzing left it (created cases, changed
    passwords, disabled accounts...) rather than the pristine seed; the checks (no 5xx, documented
    status, schema-conforming body) hold for any database state, and :meth:`FuzzedApp.ensure_signed_in`
    keeps the caller signed in before each operation. The app serves the session's OpenAPI document
    (FastAPI's own cache, filled in advance); new password hashes and the dummy verification use the
    cheapest Argon2id (see ``_CHEAP_HASHER``)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(passwords, "_HASHER", _CHEAP_HASHER)
        monkeypatch.setattr(passwords, "_DUMMY_HASH", _CHEAP_DUMMY_HASH)
        app = create_app(
            _fuzzed_settings(sqlite_template, tmp_path_factory.mktemp(f"fuzz-{caller}")),
            store=recording_store,
            clock=FrozenClock(session_now),
        )
        serve_openapi_document(app, openapi_document)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        try:
            yield FuzzedApp(app, schema, caller, sqlite_template.world)
        finally:
            app.state.portal.audit_batch.close()
            app.state.portal.engine.dispose()


def _operations() -> list[tuple[str, str]]:
    """Every (METHOD, path) in the schema, from the routes of an app with a throwaway database (the
    routes the schema documents, see ``serve_openapi_document``; generating the document here too
    cost every pytest process another second or more at collection), in a fixed order so that every
    xdist worker collects the same ids."""
    app = create_app(
        PortalSettings(
            environment="development",
            database_url="sqlite://",
            portal_cookie_secure=False,
            portal_secret_key="only-for-the-openapi-document",  # no key file in the real data directory
        ),
        store=None,
    )
    operations = {
        (method.upper(), route.path_format)
        for route in iter_route_contexts(app.routes)
        if getattr(route, "include_in_schema", False)
        for method in route.methods or ()
    }
    app.state.portal.engine.dispose()
    return sorted(operations, key=lambda operation: (operation[1], operation[0]))


@pytest.mark.parametrize(("method", "path"), _operations())
def test_api_never_fails_and_keeps_its_schema(fuzzed_app: FuzzedApp, method: str, path: str) -> None:
    """schemathesis's default checks for one operation; the pytest plugin's lazy schemas do not run
    on pytest 9, so hypothesis drives each operation's strategy here."""
    fuzzed_app.ensure_signed_in()
    operation = fuzzed_app.schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            cookies={"__Host-session": fuzzed_app.token},
            headers={"X-CSRF-Token": fuzzed_app.csrf},
            # random ids are rightly "not found" and business rules rightly refuse (409/422): a
            # schema-valid request need not be accepted
            excluded_checks=[positive_data_acceptance],
        )

    run()
