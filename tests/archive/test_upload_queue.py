"""The durable upload queue: FIFO, idempotent enqueue, survives reopening (and so a crash)."""

from pathlib import Path

from archive.spool.upload_queue import UploadQueue, UploadState


def _enqueue(queue: UploadQueue, key: str) -> bool:
    return queue.enqueue(
        object_key=key,
        local_path=Path("/spool") / key,
        sha256="ab" * 32,
        size=1,
        recording_id="rec",
        delete_after_upload=True,
    )


def test_fifo_idempotent_and_durable(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite"
    with UploadQueue(path) as queue:
        assert _enqueue(queue, "a")
        assert _enqueue(queue, "b")
        assert not _enqueue(queue, "a")
    with UploadQueue(path) as queue:
        first = queue.next_due()
        assert first is not None and first.object_key == "a"
        queue.mark_done(first.id)
        second = queue.next_due()
        assert second is not None and second.object_key == "b"
        queue.postpone(second.id, delay_seconds=60, error="store down")
        assert queue.next_due() is None
        assert queue.pending_count() == 1
        assert queue.counts("rec")[UploadState.DONE] == 1
        earliest = queue.earliest_retry()
        assert earliest is not None
        assert queue.next_due(now=earliest + 1) is not None


def test_failed_entries_leave_the_queue(tmp_path: Path) -> None:
    with UploadQueue(tmp_path / "q.sqlite") as queue:
        _enqueue(queue, "a")
        item = queue.next_due()
        assert item is not None
        queue.mark_failed(item.id, UploadState.CONFLICT, "other bytes under this key")
        assert queue.next_due() is None
        assert queue.counts()[UploadState.CONFLICT] == 1


def test_a_moved_spool_uploads_from_its_new_place_and_old_entries_keep_their_paths(tmp_path: Path) -> None:
    old_spool, new_spool = tmp_path / "old" / "spool", tmp_path / "restored" / "spool"
    files = {
        "rec/cam/00000001.m4s": old_spool / "recordings" / "rec" / "cam" / "00000001.m4s",
        "rec/cam/00000002.m4s": old_spool / "recordings" / "rec" / "cam" / "00000002.m4s",
        "rec/locator.json": tmp_path / "elsewhere" / "locator.json",  # outside the spool
    }
    with UploadQueue(old_spool / "upload-queue.sqlite") as queue:
        for key, path in files.items():
            queue.enqueue(
                object_key=key, local_path=path, sha256="ab" * 32, size=1, recording_id="rec",
                delete_after_upload=True,
            )  # fmt: skip
        legacy = str(files["rec/cam/00000002.m4s"])  # as queues before relative paths wrote it
        queue._db.execute(
            "UPDATE uploads SET local_path = ? WHERE object_key = 'rec/cam/00000002.m4s'", (legacy,)
        )
    new_spool.parent.mkdir(parents=True)
    old_spool.rename(new_spool)

    with UploadQueue(new_spool / "upload-queue.sqlite") as queue:
        paths = {item.object_key: item.local_path for item in queue.due(limit=10)}
    assert paths["rec/cam/00000001.m4s"] == new_spool / "recordings" / "rec" / "cam" / "00000001.m4s"
    assert paths["rec/cam/00000002.m4s"] == files["rec/cam/00000002.m4s"]  # an old entry: as written
    assert paths["rec/locator.json"] == files["rec/locator.json"]
