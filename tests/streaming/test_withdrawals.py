"""Withdrawing public files survives a failing store: retried in the background until it works, and
whatever an earlier process left public is withdrawn at start; a broadcast on air is never touched."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from streaming.errors import HlsError
from streaming.public.broadcast_id import is_broadcast_id, new_broadcast_id
from streaming.public.broadcasts import PublicBroadcasts
from streaming.public.packager import VideoTransform
from streaming.public.segment_publisher import DirectoryPublisher
from streaming.public.withdrawals import Withdrawals, leftovers
from streaming.server.service import LiveService
from streaming.settings import StreamingSettings
from tests.waiting import wait_until
from timebase import ManualClock
from timebase.backoff import Backoff

from .publishers import FlakyPublisher, eventually, wait_for

FAST = Backoff(first_seconds=0.005, cap_seconds=0.02)
FEED = "court-1/cam"


def _no_masking() -> VideoTransform:
    raise AssertionError("no broadcast of these tests is masked")


def _broadcast_files(publisher: DirectoryPublisher, directory: str) -> None:
    for name in ("live.m3u8", "status.json", "init-0001.mp4", "0001-000001.m4s"):
        publisher.put(f"{directory}/{name}", name.encode(), "application/octet-stream")


def test_broadcast_ids_are_fresh_and_strict() -> None:
    ids = {new_broadcast_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_broadcast_id(i) for i in ids)
    for bad in (
        "",
        "..",
        "20250101T000000Z-abcdef/..",
        "20250101T000000Z-ABCDEF",
        "x20250101T000000Z-abcdef012345",
        "20250101T000000Z-abcdef",
    ):
        assert not is_broadcast_id(bad), bad


def test_a_failed_withdrawal_is_retried_until_it_succeeds_with_bounded_logging(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FlakyPublisher(DirectoryPublisher(tmp_path))
    directory = f"{FEED}/{new_broadcast_id()}"
    _broadcast_files(store.inner, directory)
    store.fail_next["delete_prefix"] = 9
    withdrawals = Withdrawals(store, lambda _directory: False, retry=FAST)
    with caplog.at_level(logging.INFO, logger="streaming.public.withdrawals"):
        assert withdrawals.withdraw(directory) is False  # the store is down: still public for now
        assert (tmp_path / directory / "0001-000001.m4s").exists()
        assert withdrawals.pending == [f"{directory}/"]
        wait_for(lambda: not withdrawals.pending, "the withdrawal went through")
    assert store.count("delete_prefix") == 10  # nine failures, then it worked
    assert not (tmp_path / "court-1").exists()  # the directories it left empty went too
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 4  # the 1st, 2nd, 4th and 8th failure: not one line per attempt
    assert "the files stay public" in failures[0].getMessage()
    assert any("succeeded after 9 failures" in r.getMessage() for r in caplog.records)
    withdrawals.close()


def test_retries_wait_for_the_backoff_on_the_clock(tmp_path: Path) -> None:
    clock = ManualClock()
    store = FlakyPublisher(DirectoryPublisher(tmp_path))
    directory = f"{FEED}/{new_broadcast_id()}"
    _broadcast_files(store.inner, directory)
    store.fail_next["delete_prefix"] = 3
    retry = Backoff(first_seconds=10, cap_seconds=40)
    withdrawals = Withdrawals(store, lambda _directory: False, retry=retry, clock=clock)
    assert withdrawals.withdraw(directory) is False
    for failures in range(1, 4):
        wait_until(lambda: clock.waiters == 1, 5, "the retry thread to wait for its backoff")
        assert store.count("delete_prefix") == failures  # no retry before the clock moves
        clock.advance(min(40.0, 10.0 * 2 ** (failures - 1)) / 2 - 0.01)  # short of the shortest backoff
        wait_until(lambda: clock.waiters == 1, 5, "the retry thread to wait again")
        assert store.count("delete_prefix") == failures
        clock.advance(40.0)  # past the longest backoff
        wait_until(lambda f=failures: store.count("delete_prefix") == f + 1, 5, "the next retry")
    wait_until(lambda: not withdrawals.pending, 5, "the withdrawal to go through")
    assert not (tmp_path / "court-1").exists()
    withdrawals.close()


def test_the_start_up_sweep_withdraws_everything_no_broadcast_on_air_owns(tmp_path: Path) -> None:
    store = FlakyPublisher(DirectoryPublisher(tmp_path))
    on_air, crashed, stuck = (f"{FEED}/{new_broadcast_id()}" for _ in range(3))
    for directory in (on_air, crashed, stuck):
        _broadcast_files(store.inner, directory)
    store.inner.put(f"{FEED}/live.m3u8", b"#EXTM3U\n", "application/vnd.apple.mpegurl")  # the older layout
    store.inner.put("court-2/cam/status.json", b"{}", "application/json")
    (tmp_path / on_air / ".0001-000002.m4s.tmp").write_bytes(b"half")  # being written by the live one
    (tmp_path / crashed / ".0001-000002.m4s.tmp").write_bytes(b"half")  # torn by the crash
    store.fail_next.update({"list_names": 2, "delete_prefix": 1})  # the store answers only later

    withdrawals = Withdrawals(store, lambda directory: directory == on_air, retry=FAST)
    withdrawals.sweep()
    wait_for(lambda: not withdrawals.pending, "the sweep and its withdrawals went through")

    assert store.inner.list_names() == sorted(
        [f"{on_air}/{n}" for n in ("live.m3u8", "status.json", "init-0001.mp4", "0001-000001.m4s")]
        + [f"{on_air}/.0001-000002.m4s.tmp"]
    )
    assert not (tmp_path / "court-2").exists()
    assert store.count("list_names") == 3
    assert ("delete_prefix", on_air) not in store.calls  # never even tried
    withdrawals.close()


def test_leftovers_are_broadcast_directories_off_air_and_stray_files() -> None:
    live, old = new_broadcast_id(), new_broadcast_id()
    names = [
        f"a/cam/{live}/live.m3u8",
        f"a/cam/{old}/live.m3u8",
        f"a/cam/{old}/0001-000001.m4s",
        "a/cam/live.m3u8",
        f"a/cam/{old}",  # a file named like a directory: stray
        "a/cam/not-an-id/live.m3u8",
    ]
    directories, files = leftovers(names, lambda directory: directory == f"a/cam/{live}")
    assert directories == [f"a/cam/{old}"]
    assert files == ["a/cam/live.m3u8", f"a/cam/{old}", "a/cam/not-an-id/live.m3u8"]


def test_the_directory_publisher_lists_and_reports_a_withdrawal_it_could_not_do(tmp_path: Path) -> None:
    publisher = DirectoryPublisher(tmp_path / "public")
    assert publisher.list_names() == [] and not (tmp_path / "public").exists()  # listing creates nothing
    publisher.put("a/cam/x/live.m3u8", b"1", "application/vnd.apple.mpegurl")
    publisher.put("a/cam/x/status.json", b"2", "application/json")
    publisher.put("a/mic/y/status.json", b"3", "application/json")
    assert publisher.list_names("a/cam") == ["a/cam/x/live.m3u8", "a/cam/x/status.json"]
    with pytest.raises(HlsError, match="cannot withdraw"):
        publisher.delete_prefix("a/cam/x/live.m3u8")  # not a directory: an error, not silence
    with pytest.raises(HlsError, match="outside the public root"):
        publisher.list_names("../elsewhere")
    with pytest.raises(HlsError, match="whole public root"):
        publisher.delete_prefix("a/..")
    publisher.delete_prefix("a/cam/x")
    publisher.delete_prefix("a/cam/x")  # gone already: no error
    assert publisher.list_names() == ["a/mic/y/status.json"]
    assert not (tmp_path / "public" / "a" / "cam").exists()
    publisher.delete("a/mic/y/status.json")
    assert list((tmp_path / "public").iterdir()) == []  # empty directories pruned, the root kept


async def test_a_feed_reopened_while_its_old_withdrawal_is_retried_keeps_its_new_files(
    tmp_path: Path,
) -> None:
    store = FlakyPublisher(DirectoryPublisher(tmp_path))
    settings = StreamingSettings(public_dir=tmp_path, broadcast_delay_seconds=0)
    public = PublicBroadcasts(
        settings, store, mask_factory=_no_masking, retry=Backoff(first_seconds=0.3, cap_seconds=0.3)
    )
    public.open(FEED, None)
    first = public.media_path(FEED)
    await eventually((tmp_path / first / "status.json").exists, "the first broadcast's status")

    store.fail_next["delete_prefix"] = 3
    await public.close(FEED)  # the store fails: the close still ends the broadcast
    assert not public.is_public(FEED) and public.pending_withdrawals == [f"{first}/"]
    assert (tmp_path / first / "status.json").exists()

    public.open(FEED, None)  # the next public hearing in that courtroom, at once
    second = public.media_path(FEED)
    assert second != first and second.startswith(f"{FEED}/")
    await eventually(lambda: not public.pending_withdrawals, "the old broadcast withdrawn", seconds=15)
    assert not (tmp_path / first).exists()
    await eventually((tmp_path / second / "live.m3u8").exists, "the new broadcast's playlist")
    assert sorted(p.name for p in (tmp_path / second).iterdir()) == ["live.m3u8", "status.json"]

    await public.close(FEED)
    assert store.inner.list_names() == [] and public.pending_withdrawals == []
    await public.aclose()


async def test_a_starting_service_withdraws_what_an_earlier_process_left_public(tmp_path: Path) -> None:
    earlier = DirectoryPublisher(tmp_path / "public")
    left = f"{FEED}/{new_broadcast_id()}"
    _broadcast_files(earlier, left)  # a broadcast on air when the earlier process died
    earlier.put(f"{FEED}/status.json", b"{}", "application/json")  # the layout before broadcast ids
    service = LiveService(StreamingSettings(public_dir=tmp_path / "public", public_feeds=[FEED]))
    await service.start()
    try:
        on_air = service.public.media_path(FEED)
        await eventually(
            lambda: {n.rsplit("/", 1)[0] for n in earlier.list_names()} == {on_air},
            "only the new broadcast left",
        )
        assert not (tmp_path / "public" / left).exists()
    finally:
        await service.aclose()
