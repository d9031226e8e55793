"""Portal test fixtures: every API test runs on SQLite and on a real PostgreSQL server.

Session: one real recording made by the capture agent into a bucket of the session's SeaweedFS
server; a PostgreSQL cluster on loopback; a migrated, seeded template database per backend.
Per test: a copy of the template (SQLite file copy / CREATE DATABASE … TEMPLATE), a frozen clock,
and the FastAPI app built by the factory with production settings (Secure cookies over https).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from archive.export import RecordingSummary
from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import EmbeddedStore
from portal.clock import FrozenClock
from portal.db import make_engine, make_sessionmaker, transaction
from portal.migrate import upgrade
from portal.records.recordings_index import scan_bucket
from portal.settings import PortalSettings
from portal.web.app import create_app
from tests.portal.pg_cluster import PgCluster, find_pg_bin
from tests.portal.world import REC_A, STAFF_PASSWORD, World, seed_world
from tests.template_cache import install as share_compiled_templates

share_compiled_templates()  # every portal app of the tests shares compiled page templates

SECRET = "test-secret-key-0123456789abcdefghijklmnop"
AGENT_TOKEN = "test-agent-token-0123456789abcdefghijkl"


def _capture_env(config: StoreConfig | None, court: str, env_extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    if config is not None:
        env |= {
            "COURTREC_S3_ENDPOINT": config.endpoint,
            "COURTREC_S3_ACCESS_KEY": config.access_key,
            "COURTREC_S3_SECRET_KEY": config.secret_key,
            "COURTREC_S3_BUCKET": config.bucket,
        }
    return env | {"COURTREC_COURT": court, **env_extra}


def run_capture(
    config: StoreConfig | None, *arguments: str, court: str = "court-a", **env_extra: str
) -> subprocess.CompletedProcess[str]:
    """``python -m capture ARGS`` against ``config``'s bucket (None: no store, the spool keeps it),
    with COURTREC_COURT=court and ``env_extra`` in its environment."""
    env = _capture_env(config, court, env_extra)
    command = [sys.executable, "-m", "capture", *arguments]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)


def run_captures(config: StoreConfig, *runs: list[str], court: str = "court-a") -> None:
    """Several ``python -m capture ARGS`` (one per list in ``runs``, each recording of its own in
    ``config``'s bucket) run side by side: a recording takes its duration in real time, mostly waiting
    for the next frame, so recordings a module needs are made in the time of the longest. Each must
    exit 0 (AssertionError with its error output if not)."""
    env = _capture_env(config, court, {})
    running = [
        subprocess.Popen(
            [sys.executable, "-m", "capture", *arguments],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments in runs
    ]
    failed = []
    try:
        for process in running:
            _, errors = process.communicate(timeout=180)
            if process.returncode != 0:
                failed.append(f"{process.args[3:]} exited {process.returncode}: {errors[-3000:]}")
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert not failed, "\n".join(failed)


@dataclass(frozen=True)
class CaptureRun:
    """One ``capture record`` run of room-a, case-a in 2-s segments: its length, ``--source`` specs
    and any other options."""

    seconds: int
    sources: Sequence[str]
    options: Sequence[str] = ()


RecordedBucket = Callable[[str, Mapping[str, CaptureRun]], ObjectStore]


def _recorded_bucket(
    embedded_store: EmbeddedStore,
    tmp_path_factory: pytest.TempPathFactory,
    prefix: str,
    recordings: Mapping[str, CaptureRun],
) -> ObjectStore:
    config = dataclasses.replace(embedded_store.config, bucket=f"{prefix}-{uuid.uuid4().hex[:12]}")
    store = ObjectStore(config)
    store.ensure_bucket()
    runs = []
    for recording_id, recording in recordings.items():
        arguments = ["record", "--room", "room-a", "--case", "case-a", "--recording-id", recording_id]
        arguments += ["--spool", str(tmp_path_factory.mktemp("spool")), "--duration", str(recording.seconds)]
        arguments += ["--segment-seconds", "2", *recording.options]
        for source in recording.sources:
            arguments += ["--source", source]
        runs.append(arguments)
    run_captures(config, *runs)  # side by side: the module's recordings take the time of the longest
    return store


@pytest.fixture(scope="session")
def recorded_bucket(
    embedded_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory
) -> RecordedBucket:
    """Makes a fresh bucket named ``prefix-…`` of the session's store holding ``recordings`` (by
    recording id), each made by the capture agent: for a module's own recordings."""
    return functools.partial(_recorded_bucket, embedded_store, tmp_path_factory)


@pytest.fixture(scope="session")
def recording_store(recorded_bucket: RecordedBucket) -> ObjectStore:
    """A bucket holding one real 6-second recording (rec-a1: court-a, room-a, case-a, 2-s segments)."""
    return recorded_bucket("portal", {REC_A: CaptureRun(6, ["synthetic#size=320x240&fps=15"])})


@pytest.fixture(scope="session")
def session_now() -> datetime:
    """The frozen clock's start: the real time when the session began (recordings are real)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL server on loopback for the session (skipped outside CI when not installed)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (make setup installs Debian's postgresql)")
        pytest.skip("PostgreSQL is not installed here")
    cluster = PgCluster(bin_dir)
    cluster.start()
    yield cluster
    cluster.stop()


def _seed(url: str, store: ObjectStore, now: datetime) -> World:
    engine = make_engine(url)
    upgrade(engine)
    summaries = {s.recording_id: s for s in scan_bucket(store)}
    summary: RecordingSummary | None = summaries.get(REC_A)
    with transaction(make_sessionmaker(engine)) as db:
        world = seed_world(db, now=now, recording_a=summary)
    engine.dispose()
    return world


@dataclass(frozen=True)
class Template:
    backend: str
    world: World
    make_url: Callable[[], str]


@pytest.fixture(scope="session")
def sqlite_template(
    tmp_path_factory: pytest.TempPathFactory, recording_store: ObjectStore, session_now: datetime
) -> Template:
    directory = tmp_path_factory.mktemp("sqlite-template")
    template = directory / "template.sqlite3"
    world = _seed(f"sqlite:///{template}", recording_store, session_now)

    def make_url() -> str:
        copy = directory / f"{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(template, copy)
        return f"sqlite:///{copy}"

    return Template("sqlite", world, make_url)


@pytest.fixture(scope="session")
def postgresql_template(
    pg_cluster: PgCluster, recording_store: ObjectStore, session_now: datetime
) -> Template:
    admin = f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("CREATE DATABASE portal_template")
    world = _seed(f"{pg_cluster.url}/portal_template", recording_store, session_now)

    def make_url() -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name} TEMPLATE portal_template")
        return f"{pg_cluster.url}/{name}"

    return Template("postgresql", world, make_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def template(request: pytest.FixtureRequest) -> Template:
    """The seeded template of each backend (tests using it run twice)."""
    return request.getfixturevalue(f"{request.param}_template")


@dataclass
class Portal:
    """One test's portal: the app, its clock, the world, direct DB access, and HTTP clients."""

    app: FastAPI
    clock: FrozenClock
    world: World
    db_factory: sessionmaker[Session]
    store: ObjectStore
    backend: str
    clients: list[TestClient] = dataclasses.field(default_factory=list)

    def client(self, address: str = "testclient") -> TestClient:
        """A new browser at the client ``address``: its own cookie jar, https (Secure cookies work)."""
        client = TestClient(
            self.app, base_url="https://testserver", follow_redirects=False, client=(address, 50000)
        )
        client.__enter__()
        self.clients.append(client)
        return client

    def staff(self, username: str, password: str = STAFF_PASSWORD) -> Browser:
        return Browser.signed_in(self.client(), "staff", username, password)

    def party(self, case_number: str, password: str) -> Browser:
        return Browser.signed_in(self.client(), "party", case_number, password)


@dataclass
class Browser:
    """A signed-in client and its CSRF token."""

    http: TestClient
    csrf: str

    @classmethod
    def signed_in(cls, http: TestClient, kind: str, identifier: str, password: str) -> Browser:
        response = http.post(f"/api/session/{kind}", json={"identifier": identifier, "password": password})
        assert response.status_code == 200, response.text
        return cls(http, response.json()["csrf_token"])

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.http.get(url, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.http.post(url, json=json, headers=headers, **kwargs)


def portal_settings(url: str, data_dir: Path) -> PortalSettings:
    return PortalSettings(
        environment="production",
        data_dir=data_dir,
        database_url=url,
        portal_secret_key=SECRET,
        portal_agent_token=AGENT_TOKEN,
        portal_cookie_secure=True,
        portal_hls_js_path=None,
    )


@pytest.fixture
def portal(
    template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Iterator[Portal]:
    """A fresh portal on a copy of the seeded database, clock frozen at the session's start."""
    with open_portal(template, recording_store, session_now, tmp_path) as made:
        yield made


@contextlib.contextmanager
def open_portal(
    template: Template, store: ObjectStore, now: datetime, data_dir: Path, **settings: Any
) -> Iterator[Portal]:
    """A portal on a fresh copy of ``template``; ``settings`` override the test settings."""
    clock = FrozenClock(now)
    url = template.make_url()
    configured = portal_settings(url, data_dir).model_copy(update=settings)
    app = create_app(configured, store=store, clock=clock)
    made = Portal(app, clock, template.world, app.state.portal.sessions, store, template.backend)
    try:
        yield made
    finally:
        for client in made.clients:
            client.__exit__(None, None, None)
        app.state.portal.audit_batch.close()
        app.state.portal.engine.dispose()


@pytest.fixture(scope="session")
def openapi_document(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: datetime,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """The OpenAPI document of a test portal that serves it (``portal_openapi=True``), generated once:
    FastAPI takes seconds to generate it, and every such app would generate the same one again."""
    configured = portal_settings(sqlite_template.make_url(), tmp_path_factory.mktemp("openapi"))
    app = create_app(
        configured.model_copy(update={"portal_openapi": True}),
        store=recording_store,
        clock=FrozenClock(session_now),
    )
    document = app.openapi()
    app.state.portal.audit_batch.close()
    app.state.portal.engine.dispose()
    return document


def serve_openapi_document(app: FastAPI, document: dict[str, Any]) -> None:
    """Fill ``app``'s OpenAPI cache with a copy of the session's ``document``, after checking that it
    lists exactly the operations ``app`` has (so a test reading it still sees this app's routes)."""
    routes = {
        (route.path_format, method.lower())
        for route in iter_route_contexts(app.routes)
        if getattr(route, "include_in_schema", False)
        for method in route.methods or ()
    }
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert routes == documented, f"the shared OpenAPI document differs: {sorted(routes ^ documented)}"
    app.openapi_schema = copy.deepcopy(document)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium launched by Playwright (sync API) once per test module: a launch (and its
    Playwright driver) costs seconds; each test gets contexts of its own (see ``chromium``).

    Module scope, not session: between its calls the sync API marks its own event loop as running, so
    it must not outlive a module into the async tests of another. The modules using it have none."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def chromium(launched_chromium: Any) -> Iterator[Any]:
    """The module's Chromium for one test: every page the test opens is in a new context (cookies,
    storage and cache of its own), and every context it leaves open is closed after it."""
    assert not launched_chromium.contexts, "a previous test's browser context is still open"
    try:
        yield launched_chromium
    finally:
        for context in list(launched_chromium.contexts):
            context.close()
