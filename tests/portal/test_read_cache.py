"""The session and grant caches of the playback path: writes through the portal take effect on the
next request; writes from elsewhere within the configured TTL; TTL 0 turns caching off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text, update

from archive.store.object_store import ObjectStore
from portal.db import make_engine
from portal.identity.read_cache import ReadCache, WriteCounter
from portal.models import Grant
from tests.portal.conftest import Portal, Template, open_portal
from tests.portal.test_review import _grant, _segment_lines
from tests.portal.world import CASE_A


@pytest.fixture
def cached_portal(
    sqlite_template: Template,
    recording_store: ObjectStore,
    session_now: datetime,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Portal]:
    ttl = getattr(request, "param", 5.0)
    with open_portal(
        sqlite_template, recording_store, session_now, tmp_path, portal_read_cache_seconds=ttl
    ) as made:
        yield made


def _revoke_elsewhere(portal: Portal, grant: int) -> None:
    """Revoke as another process would: its own engine, not the portal's."""
    engine = make_engine(str(portal.app.state.portal.engine.url))
    try:
        with engine.begin() as connection:
            connection.execute(update(Grant).where(Grant.id == grant).values(revoked_at=portal.clock.now()))
    finally:
        engine.dispose()


def test_revocation_through_the_portal_is_immediate_despite_a_long_cache(cached_portal: Portal) -> None:
    party = cached_portal.party(CASE_A, cached_portal.world.password_a)
    grant = _grant(cached_portal, party)
    segments = _segment_lines(party.get(f"/review/grants/{grant}/playlist.m3u8").text)
    assert party.get(segments[0]).status_code == 302  # grant and session now cached (5 s)
    clerk = cached_portal.staff("clerk-a")
    assert clerk.post(f"/api/grants/{grant}/revoke", {"reason": "撤回"}).status_code == 200
    assert party.get(segments[1]).status_code == 403


def test_sign_out_is_immediate_despite_a_long_cache(cached_portal: Portal) -> None:
    party = cached_portal.party(CASE_A, cached_portal.world.password_a)
    assert party.get("/api/my-case").status_code == 200
    cookies = dict(party.http.cookies)
    assert party.http.delete("/api/session", headers={"X-CSRF-Token": party.csrf}).status_code == 204
    replay = cached_portal.client()
    replay.cookies.update(cookies)
    assert replay.get("/api/my-case").status_code == 401


@pytest.mark.parametrize("cached_portal", [1.5], indirect=True)
def test_a_revocation_by_another_process_takes_effect_within_the_ttl(cached_portal: Portal) -> None:
    party = cached_portal.party(CASE_A, cached_portal.world.password_a)
    grant = _grant(cached_portal, party)
    playlist = f"/review/grants/{grant}/playlist.m3u8"
    assert party.get(playlist).status_code == 200
    _revoke_elsewhere(cached_portal, grant)
    deadline = time.monotonic() + 1.5
    while party.get(playlist).status_code == 200:  # served from memory until the entry ages out
        assert time.monotonic() < deadline + 0.5, "still served after the cache TTL"
        time.sleep(0.1)
    assert party.get(playlist).status_code == 403


@pytest.mark.parametrize("cached_portal", [0.0], indirect=True)
def test_ttl_zero_reads_the_database_on_every_request(cached_portal: Portal) -> None:
    party = cached_portal.party(CASE_A, cached_portal.world.password_a)
    grant = _grant(cached_portal, party)
    assert party.get(f"/review/grants/{grant}/playlist.m3u8").status_code == 200
    _revoke_elsewhere(cached_portal, grant)
    assert party.get(f"/review/grants/{grant}/playlist.m3u8").status_code == 403


def test_a_write_the_counter_cannot_attribute_drops_every_entry(cached_portal: Portal) -> None:
    """Raw SQL without a known table (e.g. a hand-written statement) is treated as touching all."""
    context = cached_portal.app.state.portal
    party = cached_portal.party(CASE_A, cached_portal.world.password_a)
    grant = _grant(cached_portal, party)
    assert party.get(f"/review/grants/{grant}/playlist.m3u8").status_code == 200
    with context.engine.begin() as connection:
        connection.execute(text("UPDATE grants SET revoked_at = not_before WHERE id = :id"), {"id": grant})
    assert party.get(f"/review/grants/{grant}/playlist.m3u8").status_code == 403


def test_a_value_read_before_the_writer_committed_is_never_used(tmp_path: Path) -> None:
    """A reader that stamps after the UPDATE ran but reads before its COMMIT gets the old row; the
    bump when the writer's connection returns to the pool must discard what it kept."""
    engine = make_engine(f"sqlite:///{tmp_path / 'race.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE grants (id INTEGER PRIMARY KEY, state TEXT)"))
        connection.execute(text("INSERT INTO grants VALUES (1, 'active')"))
    counter = WriteCounter(engine, ["grants"])
    cache: ReadCache[int, str] = ReadCache(counter, ttl=60)
    writer = engine.connect()
    transaction = writer.begin()
    writer.execute(text("UPDATE grants SET state = 'revoked' WHERE id = 1"))
    stamp = cache.stamp()
    with engine.execution_options(portal_readonly=True).connect() as reader:  # WAL: last committed
        old = reader.execute(text("SELECT state FROM grants WHERE id = 1")).scalar_one()
    assert old == "active"
    cache.put(1, old, stamp)
    transaction.commit()
    writer.close()
    assert cache.get(1) is None
    engine.dispose()
