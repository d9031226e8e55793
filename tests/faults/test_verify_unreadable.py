"""Bit rot under S3 (issue 11, finding 8): an object the store lists but cannot return is a finding
named for that object, and verification goes on to every other object; only a store that cannot be
reached at all stops ``archive verify`` with exit 2."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.cli import main as archive_main
from archive.errors import StoreUnavailableError
from archive.preservation.verify import verify_recording
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from tests.archive.conftest import flip_byte_on_disk
from tests.capture.conftest import store_env
from tests.conftest import empty_and_delete_bucket, free_port
from tests.faults.in_process import run_main
from tests.faults.tamper_kit import RECORDING_ID, Archived, describe, record, upload

pytestmark = pytest.mark.integration


@pytest.fixture
def rotted(embedded_store: EmbeddedStore, tmp_path: Path) -> Iterator[tuple[ObjectStore, Archived, str]]:
    """The recording in a fresh bucket, with one byte of one segment flipped in weed's volume file."""
    archived = record(tmp_path)
    store = ObjectStore(dataclasses.replace(embedded_store.config, bucket=f"rot-{uuid.uuid4().hex[:12]}"))
    store.ensure_bucket()
    upload(store, archived.objects)
    key = archived.segments()[1]
    flip_byte_on_disk(embedded_store, store.config.bucket, archived.objects[key])
    yield store, archived, key
    empty_and_delete_bucket(store)


def test_an_unreadable_object_is_a_finding_and_verification_goes_on(
    rotted: tuple[ObjectStore, Archived, str],
) -> None:
    store, archived, key = rotted
    impatient = ObjectStore(store.config, timeout_seconds=2)  # weed retries a bad needle for ~13 s
    report = verify_recording(impatient, RECORDING_ID, trust=archived.trust())
    unreadable = [p for p in report.problems if "unreadable" in p]
    assert len(unreadable) == 1 and unreadable[0].startswith(key), describe(report)
    assert report.problems == unreadable, describe(report)  # nothing else is wrong
    assert report.objects_checked == len(archived.objects) - len(archived.chunks) - 2  # all but it


def test_the_verify_command_names_the_object_and_exits_1(rotted: tuple[ObjectStore, Archived, str]) -> None:
    store, _archived, key = rotted
    # in this process (tests/faults/in_process): the command's findings and exit code are under test
    result = run_main(archive_main, ["archive", "verify", RECORDING_ID], store_env(store.config))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{key}" in result.stdout and "unreadable" in result.stdout, result.stdout


def test_an_unreachable_store_still_stops_verification(embedded_store: EmbeddedStore) -> None:
    gone = dataclasses.replace(embedded_store.config, endpoint=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        verify_recording(ObjectStore(gone, timeout_seconds=1), RECORDING_ID)
