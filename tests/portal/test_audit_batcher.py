"""Group commit of playback audit records: shared commits, an intact chain, and no answer without a
committed record."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select, text

from archive.store.object_store import ObjectStore
from portal.audit.batcher import AuditBatcher
from portal.audit.trail import AuditAction, AuditEntry, verify_chain
from portal.db import make_engine, make_sessionmaker
from portal.errors import AuditUnavailableError
from portal.migrate import upgrade
from portal.models import AuditRecord
from tests.portal.conftest import Template, open_portal
from tests.portal.test_review import _grant, _segment_lines
from tests.portal.world import CASE_A

_REFUSE_AUDIT = (
    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'disk full'); END"
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    upgrade(made)
    yield made
    made.dispose()


def _entry(number: int) -> AuditEntry:
    return AuditEntry("party:1:张三", AuditAction.SEGMENT_ISSUED, "grant:1", detail={"n": number})


async def _record_many(batcher: AuditBatcher, count: int) -> list[int]:
    now = datetime.now(UTC)
    return list(await asyncio.gather(*(batcher.record(_entry(n), at=now) for n in range(count))))


def test_concurrent_records_share_commits_and_keep_the_chain(engine: Engine) -> None:
    commits: list[int] = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    batcher = AuditBatcher(engine)
    try:
        seqs = asyncio.run(_record_many(batcher, 64))
    finally:
        batcher.close()
    assert sorted(seqs) == list(range(1, 65))
    assert len(commits) < 16, f"{len(commits)} commits for 64 records: not batched"
    with make_sessionmaker(engine)() as db:
        report = verify_chain(db)
        details = list(db.scalars(select(AuditRecord.detail).order_by(AuditRecord.seq)))
    assert report.intact and report.records == 64
    assert sorted(details) == sorted(f'{{"n":{n}}}' for n in range(64))


def test_a_failed_commit_fails_every_waiting_record_and_the_batcher_recovers(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(_REFUSE_AUDIT))
    batcher = AuditBatcher(engine)
    try:

        async def attempt() -> list[int | BaseException]:
            now = datetime.now(UTC)
            return list(
                await asyncio.gather(
                    *(batcher.record(_entry(n), at=now) for n in range(5)), return_exceptions=True
                )
            )

        outcomes = asyncio.run(attempt())
        assert all(isinstance(outcome, AuditUnavailableError) for outcome in outcomes), outcomes
        assert "disk full" in str(outcomes[0])
        with engine.begin() as connection:
            assert connection.execute(select(func.count()).select_from(AuditRecord)).scalar_one() == 0
            connection.execute(text("DROP TRIGGER refuse_audit"))
        assert asyncio.run(_record_many(batcher, 3)) == [1, 2, 3]
    finally:
        batcher.close()


def test_records_after_close_are_refused(engine: Engine) -> None:
    batcher = AuditBatcher(engine)
    assert asyncio.run(_record_many(batcher, 2)) == [1, 2]
    batcher.close()
    with pytest.raises(AuditUnavailableError, match="shutting down"):
        asyncio.run(_record_many(batcher, 1))


def test_no_playlist_or_segment_url_without_its_audit_record(
    sqlite_template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> None:
    with open_portal(sqlite_template, recording_store, session_now, tmp_path) as portal:
        party = portal.party(CASE_A, portal.world.password_a)
        grant = _grant(portal, party)
        segments = _segment_lines(party.get(f"/review/grants/{grant}/playlist.m3u8").text)
        with portal.app.state.portal.engine.begin() as connection:
            connection.execute(text(_REFUSE_AUDIT))
        playlist = party.get(f"/review/grants/{grant}/playlist.m3u8")
        assert playlist.status_code == 503 and "#EXTM3U" not in playlist.text
        segment = party.get(segments[0])
        assert segment.status_code == 503 and "location" not in segment.headers
