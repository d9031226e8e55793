"""The tamper table (issue 11): one multi-session recording in a real SeaweedFS bucket, and every
tampering of it that an attacker with write access to the bucket could try. Each must be caught by
``archive verify`` with the finding that names it; the untouched recording must verify intact with
no warnings when the portal's key list and anchored head are given."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archive.preservation.verify import verify_recording
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from tests.conftest import empty_and_delete_bucket
from tests.faults.tamper_kit import (
    RECORDING_ID,
    TAMPERINGS,
    Archived,
    Tampering,
    describe,
    record,
    resign_with_new_key,
    roll_back_session,
    upload,
    verify_tampered,
)

pytestmark = pytest.mark.integration

MakeStore = Callable[[], ObjectStore]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Archived:
    return record(tmp_path_factory.mktemp("tamper"))


@pytest.fixture
def fresh_store(embedded_store: EmbeddedStore) -> Iterator[MakeStore]:
    made: list[ObjectStore] = []

    def make() -> ObjectStore:
        store = ObjectStore(
            dataclasses.replace(embedded_store.config, bucket=f"tamper-{uuid.uuid4().hex[:12]}")
        )
        store.ensure_bucket()
        made.append(store)
        return store

    yield make
    for store in made:
        empty_and_delete_bucket(store)


def test_the_untouched_recording_is_intact_with_nothing_left_unchecked(
    archived: Archived, fresh_store: MakeStore
) -> None:
    store = fresh_store()
    upload(store, archived.objects)
    report = verify_recording(store, RECORDING_ID, trust=archived.trust())
    assert report.intact and report.warnings == [], describe(report)
    assert any("anchored at portal (test)" in note for note in report.notes)
    assert any("approved for device dev-tamper" in note for note in report.notes)


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=[t.name for t in TAMPERINGS])
def test_every_tampering_is_detected(
    archived: Archived, fresh_store: MakeStore, tampering: Tampering
) -> None:
    report = verify_tampered(fresh_store(), archived, tampering)
    assert not report.intact, f"{tampering.name} passed verification"
    assert any(tampering.finding in problem for problem in report.problems), describe(report)


@pytest.mark.parametrize("make", [roll_back_session, resign_with_new_key])
def test_without_outside_trust_the_self_consistent_tamperings_pass_only_with_a_warning(
    archived: Archived, fresh_store: MakeStore, make: Callable[[Archived], dict[str, bytes]]
) -> None:
    """What the anchors and the key registry are for: the journal alone cannot tell these apart, so
    verify without them must not call the recording intact without saying what it did not check."""
    store = fresh_store()
    upload(store, make(archived))
    report = verify_recording(store, RECORDING_ID)
    assert report.intact, describe(report)
    assert any("not checked against a registry" in w for w in report.warnings)
    assert any("no anchored checkpoint head" in w for w in report.warnings)
    assert "warning" in report.summary()


def test_an_older_anchored_head_does_not_hide_a_roll_back_of_the_session_after_it(
    archived: Archived, fresh_store: MakeStore
) -> None:
    """A replayed (older) head is never preferred: verify takes the furthest head it is given."""
    store = fresh_store()
    upload(store, roll_back_session(archived))
    trust = archived.trust()
    older = archived.trust(anchored=archived.heads[0])
    both = dataclasses.replace(trust, heads=older.heads + trust.heads)
    report = verify_recording(store, RECORDING_ID, trust=both)
    assert any("the journal was cut back" in p for p in report.problems), describe(report)


def test_a_journal_reaching_an_older_anchor_passes(
    archived: Archived, fresh_store: MakeStore, tmp_path: Path
) -> None:
    """The anchor is a floor, not the end: a journal that goes beyond its anchored head is fine."""
    store = fresh_store()
    upload(store, archived.objects)
    report = verify_recording(store, RECORDING_ID, trust=archived.trust(anchored=archived.heads[0]))
    assert report.intact and not report.warnings, describe(report)
