"""Where ``archive verify`` gets what it trusts from outside a recording: the backup site's anchored
heads (written by the backup), an exported key list and heads file (offline), and what it says
when it has none."""

from __future__ import annotations

import dataclasses
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.cli import main as archive_main
from archive.journal.signing.anchor import encode_heads
from archive.journal.signing.key_list import RegisteredKey, sign_key_list
from archive.preservation.anchor_store import read_heads
from archive.preservation.backup import Backup
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from archive.store.sites import Site
from portal.cli import main as portal_main
from portal.db import make_engine, make_sessionmaker, transaction
from portal.devices.registry import record_head
from tests.capture.conftest import store_env
from tests.conftest import empty_and_delete_bucket
from tests.faults.in_process import run_main
from tests.faults.tamper_kit import (
    DEVICE_ID,
    RECORDING_ID,
    Archived,
    new_key,
    record,
    resign_with_new_key,
    roll_back_session,
    upload,
)

pytestmark = pytest.mark.integration

ISSUED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Archived:
    return record(tmp_path_factory.mktemp("trust"))


@pytest.fixture
def two_sites(
    embedded_store: EmbeddedStore, backup_embedded_store: EmbeddedStore
) -> Iterator[tuple[Site, Site]]:
    """A primary and a backup on two servers (a backup on the primary's own server is refused)."""
    made = [
        Site(name, ObjectStore(dataclasses.replace(server.config, bucket=f"{name}-{uuid.uuid4().hex[:10]}")))
        for name, server in (("primary", embedded_store), ("backup", backup_embedded_store))
    ]
    for site in made:
        site.store.ensure_bucket(object_lock=True)
    yield made[0], made[1]
    for site in made:
        empty_and_delete_bucket(site.store)


def _verify(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m archive verify RECORDING_ID ARGS``, run in this process (see tests/faults/in_process)."""
    return run_main(archive_main, ["archive", "verify", RECORDING_ID, *arguments], env)


def _env(primary: Site, backup: Site | None = None) -> dict[str, str]:
    env = store_env(primary.store.config)
    if backup is not None:
        config = backup.store.config
        env |= {
            "COURTREC_BACKUP_S3_ENDPOINT": config.endpoint,
            "COURTREC_BACKUP_S3_ACCESS_KEY": config.access_key,
            "COURTREC_BACKUP_S3_SECRET_KEY": config.secret_key,
            "COURTREC_BACKUP_S3_BUCKET": config.bucket,
        }
    return env


def test_the_backup_keeps_the_head_and_verify_uses_it_to_catch_a_roll_back(
    archived: Archived, two_sites: tuple[Site, Site]
) -> None:
    primary, backup = two_sites
    upload(primary.store, archived.objects)
    assert Backup(primary, backup).run_once().ok
    assert [h.seq for h in read_heads(backup.store, RECORDING_ID)] == [archived.heads[-1].seq]

    intact = _verify(_env(primary, backup))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert f"anchored at backup site {backup.store.config.endpoint}" in intact.stdout

    rolled_back = roll_back_session(archived)
    for key in set(archived.objects) - set(rolled_back):
        primary.store.delete(key)
    alone = _verify(_env(primary))
    assert alone.returncode == 0 and "no anchored checkpoint head" in alone.stdout, alone.stdout
    caught = _verify(_env(primary, backup))
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert "the journal was cut back" in caught.stdout and "backup site" in caught.stdout


def test_offline_key_list_and_anchors_files(
    archived: Archived, two_sites: tuple[Site, Site], tmp_path: Path
) -> None:
    primary, _backup = two_sites
    listed = [
        RegisteredKey(archived.device_key.public_key_b64, DEVICE_ID, "2026-01-01T00:00:00+00:00", "admin")
    ]
    key_list = tmp_path / "keys.json"
    key_list.write_bytes(sign_key_list(listed, archived.portal_key, issued_at=ISSUED))
    anchors = tmp_path / "anchors.json"
    anchors.write_bytes(encode_heads(archived.heads, exported_at="2026-01-02T00:00:00+00:00"))
    portal_key = archived.portal_key.public_key_b64
    offline = ["--key-list", str(key_list), "--portal-public-key", portal_key, "--anchors", str(anchors)]

    upload(primary.store, resign_with_new_key(archived))
    result = _verify(_env(primary), *offline)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is not an approved device key" in result.stdout and f"key list {key_list}" in result.stdout
    assert "the journal was re-signed" in result.stdout

    unpinned = _verify(_env(primary), "--key-list", str(key_list))
    assert unpinned.returncode == 2 and "--portal-public-key" in unpinned.stderr

    forged_list = tmp_path / "forged.json"
    forged_list.write_bytes(sign_key_list(listed, new_key(), issued_at=ISSUED))  # not the portal's key
    forged = _verify(_env(primary), "--key-list", str(forged_list), "--portal-public-key", portal_key)
    assert forged.returncode == 2 and "not by the portal key" in forged.stderr, forged.stderr


def _portal_cli(data: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m portal ARGS --data DATA``, run in this process: the same ``main`` without its ~2.5 s
    of imports per command (the real entry point is exercised by tests/portal); no COURTREC_* setting
    of the test process reaches it."""
    return run_main(portal_main, ["portal", *arguments, "--data", str(data)], {})


def test_portal_approves_and_exports_what_offline_verification_trusts(
    archived: Archived, two_sites: tuple[Site, Site], tmp_path: Path
) -> None:
    """The whole offline flow: the agent's heads reach the portal, an administrator approves the key
    (`python -m portal devices approve-key`), the exports verify the recording, and the same exports
    refuse the recording once its last session is cut off."""
    data = tmp_path / "portal"
    assert _portal_cli(data, "migrate").returncode == 0
    engine = make_engine(f"sqlite:///{data / 'portal.sqlite3'}")
    with transaction(make_sessionmaker(engine)) as db:
        for head in archived.heads:  # what the agent reported after each checkpoint
            record_head(db, head, DEVICE_ID, now=ISSUED)
    engine.dispose()
    listed = _portal_cli(data, "devices", "list")
    assert f"{DEVICE_ID}\tseen\t{archived.device_key.public_key_b64}" in listed.stdout, listed.stderr
    unknown = _portal_cli(data, "devices", "approve-key", "bm90LWEta2V5", "--actor", "admin")
    assert unknown.returncode == 1 and "no agent has reported" in unknown.stderr
    approved = _portal_cli(
        data, "devices", "approve-key", archived.device_key.public_key_b64, "--actor", "admin"
    )
    assert approved.returncode == 0, approved.stderr
    keys, anchors = tmp_path / "keys.json", tmp_path / "anchors.json"
    exported = _portal_cli(data, "devices", "export-keys", "--out", str(keys))
    assert exported.returncode == 0, exported.stderr
    portal_key = exported.stdout.split("--portal-public-key ")[1].split()[0]
    assert _portal_cli(data, "devices", "export-anchors", "--out", str(anchors)).returncode == 0
    offline = ["--key-list", str(keys), "--portal-public-key", portal_key, "--anchors", str(anchors)]

    primary, _backup = two_sites
    upload(primary.store, archived.objects)
    intact = _verify(_env(primary), *offline)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "warning" not in intact.stdout and f"anchored at anchors file {anchors}" in intact.stdout
    for key in set(archived.objects) - set(roll_back_session(archived)):
        primary.store.delete(key)
    caught = _verify(_env(primary), *offline)
    assert caught.returncode == 1 and "the journal was cut back" in caught.stdout, caught.stdout


def test_a_revoked_key_leaves_the_exported_list_and_its_recording_fails_offline(
    archived: Archived, two_sites: tuple[Site, Site], tmp_path: Path
) -> None:
    """`python -m portal devices revoke-key`: the key list exported afterwards no longer holds the
    key, and `archive verify --key-list` fails the recording it signed (before the revocation too)."""
    data = tmp_path / "portal"
    assert _portal_cli(data, "migrate").returncode == 0
    engine = make_engine(f"sqlite:///{data / 'portal.sqlite3'}")
    with transaction(make_sessionmaker(engine)) as db:
        for head in archived.heads:
            record_head(db, head, DEVICE_ID, now=ISSUED)
    engine.dispose()
    key = archived.device_key.public_key_b64
    assert _portal_cli(data, "devices", "approve-key", key, "--actor", "admin").returncode == 0
    primary, _backup = two_sites
    upload(primary.store, archived.objects)

    def verify_with_exported_list(name: str) -> subprocess.CompletedProcess[str]:
        keys = tmp_path / name
        exported = _portal_cli(data, "devices", "export-keys", "--out", str(keys))
        assert exported.returncode == 0, exported.stderr
        portal_key = exported.stdout.split("--portal-public-key ")[1].split()[0]
        return _verify(_env(primary), "--key-list", str(keys), "--portal-public-key", portal_key)

    before = verify_with_exported_list("before.json")
    assert before.returncode == 0, before.stdout + before.stderr
    revoked = _portal_cli(data, "devices", "revoke-key", key, "--actor", "admin", "--reason", "设备遗失")
    assert revoked.returncode == 0, revoked.stderr
    after = verify_with_exported_list("after.json")
    assert after.returncode == 1 and "is not an approved device key" in after.stdout, after.stdout
