"""The spool quota frees only local copies the archive confirmed, earliest first, and alarms; a
sealed segment the archive has not confirmed is never deleted (the store being down changes nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.spool import UploadQueue, queue_path
from capture.space.spool_quota import QuotaAlarm, SpoolQuota

DIGEST = "ab" * 32
KB = 1024


def _sealed(
    queue: UploadQueue, spool: Path, recording: str, name: str, size: int, *, confirmed: bool
) -> Path:
    path = spool / "recordings" / recording / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    queue.enqueue(
        object_key=f"p/{recording}/{name}",
        local_path=path,
        sha256=DIGEST,
        size=size,
        recording_id=recording,
        delete_after_upload=False,
    )
    if confirmed:
        (item,) = [i for i in queue.due(limit=100) if i.object_key == f"p/{recording}/{name}"]
        queue.mark_done(item.id)
    return path


@pytest.fixture
def queue(tmp_path: Path) -> UploadQueue:
    (tmp_path / "spool").mkdir()
    return UploadQueue(queue_path(tmp_path / "spool"))


def test_reaching_the_quota_frees_confirmed_copies_earliest_first_and_keeps_unconfirmed_ones(
    tmp_path: Path, queue: UploadQueue
) -> None:
    spool = tmp_path / "spool"
    first = _sealed(queue, spool, "rec-a", "cam/init.mp4", 200 * KB, confirmed=True)
    journal = _sealed(queue, spool, "rec-a", "journal/000001.jsonl", 200 * KB, confirmed=True)
    second = _sealed(queue, spool, "rec-a", "cam/00000001.m4s", 200 * KB, confirmed=True)
    third = _sealed(queue, spool, "rec-a", "cam/00000002.m4s", 200 * KB, confirmed=True)
    active_init = _sealed(queue, spool, "rec-b", "cam/init.mp4", 200 * KB, confirmed=True)
    unconfirmed = [
        _sealed(queue, spool, "rec-b", f"cam/{n:08d}.m4s", 100 * KB, confirmed=False) for n in (1, 2, 3)
    ]
    alarms: list[QuotaAlarm] = []
    used = sum(p.stat().st_size for p in spool.rglob("*") if p.is_file())
    # freeing aims 10 % under the quota: 300 kB to free here, so two of the 200 kB confirmed copies
    limit = int((used - 300 * KB) / 0.9)
    assert limit < used
    quota = SpoolQuota(spool, limit, queue, active_recording=lambda: "rec-b", on_alarm=alarms.append)
    quota.check()
    assert not first.exists() and not second.exists()  # the earliest confirmed went first …
    assert third.exists() and quota.freed_bytes == 400 * KB  # … and no more than needed
    assert active_init.exists()  # the recording in progress keeps its init segment
    assert journal.exists()  # journals stay, confirmed or not: the chain is read from the spool
    assert all(p.exists() for p in unconfirmed)
    # reaching the quota alarms; freeing confirmed copies brought it back under, so it cleared
    assert [a.active for a in alarms] == [True, False] and "reached its quota" in alarms[0].detail
    assert "freed 409600 bytes of 2 copies" in alarms[0].detail


def test_with_the_store_down_nothing_is_deleted_and_the_alarm_stays(
    tmp_path: Path, queue: UploadQueue
) -> None:
    spool = tmp_path / "spool"
    kept = [_sealed(queue, spool, "rec-b", f"cam/{n:08d}.m4s", 100 * KB, confirmed=False) for n in (1, 2, 3)]
    alarms: list[QuotaAlarm] = []
    quota = SpoolQuota(spool, 150 * KB, queue, on_alarm=alarms.append)
    quota.check()
    quota.check()
    assert all(p.exists() and p.stat().st_size == 100 * KB for p in kept)
    assert quota.freed_bytes == 0 and quota.free_bytes() == 0
    assert [a.active for a in alarms] == [True]  # raised once per episode
    assert quota.alarm is not None and "unconfirmed segments are kept" in quota.alarm.detail


def test_a_confirmed_entry_outside_the_spool_is_never_deleted(tmp_path: Path, queue: UploadQueue) -> None:
    spool = tmp_path / "spool"
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"y" * 10)
    queue.enqueue(
        object_key="p/odd",
        local_path=outside,
        sha256=DIGEST,
        size=10,
        recording_id="rec-z",
        delete_after_upload=False,
    )
    queue.mark_done(queue.due(limit=1)[0].id)
    _sealed(queue, spool, "rec-b", "cam/00000001.m4s", 100 * KB, confirmed=False)
    SpoolQuota(spool, 50 * KB, queue).check()
    assert outside.exists()


def test_the_alarm_clears_once_the_spool_is_under_the_margin(tmp_path: Path, queue: UploadQueue) -> None:
    spool = tmp_path / "spool"
    segment = _sealed(queue, spool, "rec-b", "cam/00000001.m4s", 100 * KB, confirmed=False)
    alarms: list[QuotaAlarm] = []
    quota = SpoolQuota(spool, 100 * KB, queue, on_alarm=alarms.append)
    quota.check()
    segment.unlink()  # as the uploader does once the archive confirms it
    quota.check()
    assert [a.active for a in alarms] == [True, False]


def test_a_quota_must_be_positive(tmp_path: Path, queue: UploadQueue) -> None:
    with pytest.raises(ValueError, match="more than 0 bytes"):
        SpoolQuota(tmp_path, 0, queue)
