"""ObjectStore against a real S3 server (embedded SeaweedFS, or COURTREC_S3_* when set)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from archive.errors import (
    ArchiveError,
    ChecksumMismatchError,
    ObjectConflictError,
    ObjectNotFoundError,
    StoreAuthError,
    StoreUnavailableError,
)
from archive.store import ObjectStore, PutOutcome, StoreConfig

MIB = 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def offline_config(port: int = 9) -> StoreConfig:
    return StoreConfig(
        endpoint=f"http://127.0.0.1:{port}", access_key="AK", secret_key="SK", bucket="nowhere"
    )


# -- without a server ---------------------------------------------------------------------------------


def test_config_repr_hides_the_secret_key() -> None:
    config = StoreConfig(
        endpoint="https://s3.example:9000", access_key="AK", secret_key="s3cr3t", bucket="bkt"
    )

    assert "s3cr3t" not in repr(config)
    assert config.secure
    assert config.netloc == "s3.example:9000"


@pytest.mark.parametrize(
    "endpoint", ["127.0.0.1:8333", "ftp://host", "http://", "http://host/path", "http://user@host"]
)
def test_config_rejects_malformed_endpoints(endpoint: str) -> None:
    with pytest.raises(ValueError, match="'endpoint'"):
        StoreConfig(endpoint=endpoint, access_key="AK", secret_key="SK", bucket="bkt")


@pytest.mark.parametrize("expires", [timedelta(minutes=10, seconds=1), timedelta(days=7), timedelta(0)])
def test_presigned_url_refuses_lifetimes_outside_ten_minutes(expires: timedelta) -> None:
    with pytest.raises(ValueError, match="'expires'"):
        ObjectStore(offline_config()).presigned_get_url("k", expires=expires)


@pytest.mark.parametrize("digest", ["", "abc", "g" * 64, "a" * 63])
def test_put_refuses_a_malformed_sha256(digest: str) -> None:
    with pytest.raises(ValueError, match="sha256_hex"):
        ObjectStore(offline_config()).put_bytes("k", b"x", digest)


@pytest.mark.parametrize("metadata", [{"sha256": "x"}, {"bad key": "x"}, {"under_score": "x"}, {"k": "é"}])
def test_put_refuses_unusable_metadata(metadata: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="metadata"):
        ObjectStore(offline_config()).put_bytes("k", b"x", sha256(b"x"), metadata=metadata)


def test_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused

        with pytest.raises(StoreUnavailableError, match="unreachable"):
            ObjectStore(offline_config(port)).stat("k")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers: a hung store."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_store_that_never_answers_times_out_instead_of_hanging(silent_server: int) -> None:
    store = ObjectStore(offline_config(silent_server), timeout_seconds=0.5)
    started = time.monotonic()

    with pytest.raises(StoreUnavailableError, match="timed out"):
        store.put_bytes("k", b"data", sha256(b"data"))

    assert time.monotonic() - started < 3  # one attempt, no internal retries


# -- against the real server ----------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("size", [0, 1, 5 * MIB - 1, 5 * MIB + 1])
def test_round_trip_keeps_bytes_and_sha256(object_store: ObjectStore, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    digest = sha256(data)
    source = tmp_path / "segment.m4s"
    source.write_bytes(data)

    outcome = object_store.put_file("rec/00000001.m4s", source, digest, metadata={"Recording": "r-1"})

    stored = object_store.stat("rec/00000001.m4s")
    assert outcome is PutOutcome.STORED
    assert stored is not None
    assert (stored.size, stored.sha256, stored.server_sha256) == (size, digest, digest)
    assert stored.metadata["recording"] == "r-1"
    assert object_store.read_bytes("rec/00000001.m4s") == data
    assert object_store.sha256_of("rec/00000001.m4s", chunk_size=64 * 1024) == digest
    object_store.download("rec/00000001.m4s", tmp_path / "copy.m4s")
    assert (tmp_path / "copy.m4s").read_bytes() == data


@pytest.mark.integration
def test_a_wrong_checksum_is_rejected_and_nothing_is_stored(object_store: ObjectStore) -> None:
    with pytest.raises(ChecksumMismatchError, match="rejected our SHA-256"):
        object_store.put_bytes("rec/bad.m4s", b"the real bytes", sha256(b"other bytes"))

    assert object_store.stat("rec/bad.m4s") is None


@pytest.mark.integration
def test_the_same_bytes_again_are_already_present(object_store: ObjectStore) -> None:
    data = b"segment"
    object_store.put_bytes("rec/seg", data, sha256(data))

    assert object_store.put_bytes("rec/seg", data, sha256(data)) is PutOutcome.ALREADY_PRESENT


@pytest.mark.integration
def test_other_bytes_under_an_existing_key_conflict_and_leave_the_original(object_store: ObjectStore) -> None:
    original = b"original evidence"
    object_store.put_bytes("rec/seg", original, sha256(original))

    with pytest.raises(ObjectConflictError, match="not overwritten"):
        object_store.put_bytes("rec/seg", b"forged evidence", sha256(b"forged evidence"))

    assert object_store.read_bytes("rec/seg") == original


@pytest.mark.integration
def test_the_server_refuses_to_overwrite_when_asked_if_none_match(object_store: ObjectStore) -> None:
    """Pins the SeaweedFS / S3 behaviour put_bytes relies on when two writers race past the HEAD."""
    object_store.put_bytes("rec/seg", b"first", sha256(b"first"))
    headers = {"Content-Type": "application/octet-stream", "If-None-Match": "*"}

    assert object_store._put_if_absent("rec/seg", b"second", headers) is None  # type: ignore[arg-type]
    assert object_store.read_bytes("rec/seg") == b"first"


@pytest.mark.integration
def test_racing_writers_store_exactly_one_version(object_store: ObjectStore) -> None:
    contents = [f"writer {n}".encode() for n in range(4)]
    barrier = threading.Barrier(len(contents))
    outcomes: list[str] = []

    def write(data: bytes) -> None:
        barrier.wait()
        try:
            outcomes.append(object_store.put_bytes("rec/raced", data, sha256(data)).value)
        except ObjectConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(data,)) for data in contents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 3 + ["stored"]
    assert object_store.read_bytes("rec/raced") in contents


@pytest.mark.integration
@pytest.mark.parametrize("field", ["access_key", "secret_key"])
def test_wrong_credentials_raise_auth_error(object_store: ObjectStore, field: str) -> None:
    object_store.put_bytes("rec/seg", b"x", sha256(b"x"))
    intruder = ObjectStore(dataclasses.replace(object_store.config, **{field: "WRONGWRONGWRONG1"}))

    for attempt in (
        lambda: intruder.stat("rec/seg"),
        lambda: intruder.read_bytes("rec/seg"),
        lambda: intruder.put_bytes("rec/other", b"y", sha256(b"y")),
        lambda: list(intruder.list_objects("rec/")),
    ):
        with pytest.raises(StoreAuthError, match="COURTREC_S3_ACCESS_KEY / COURTREC_S3_SECRET_KEY"):
            attempt()


@pytest.mark.integration
def test_presigned_get_serves_the_bytes_and_a_tampered_signature_is_refused(
    object_store: ObjectStore,
) -> None:
    object_store.put_bytes("rec/seg", b"playback bytes", sha256(b"playback bytes"))
    url = object_store.presigned_get_url("rec/seg", expires=timedelta(minutes=2))

    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.read() == b"playback bytes"
    assert "X-Amz-Expires=120" in url
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    tampered = url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=5)
    assert refused.value.code == 403


@pytest.mark.integration
def test_list_objects_is_recursive_and_limited_to_the_prefix(object_store: ObjectStore) -> None:
    for key in ("rec/a/1.m4s", "rec/a/sub/2.m4s", "rec/b/3.m4s", "other/4.m4s"):
        object_store.put_bytes(key, key.encode(), sha256(key.encode()))

    listed = list(object_store.list_objects("rec/a/"))

    assert [(item.key, item.size) for item in listed] == [("rec/a/1.m4s", 11), ("rec/a/sub/2.m4s", 15)]
    assert all(item.sha256 is None for item in listed)
    assert list(object_store.list_objects("nothing/")) == []


@pytest.mark.integration
def test_missing_objects(object_store: ObjectStore, tmp_path: Path) -> None:
    assert object_store.stat("rec/missing") is None
    with pytest.raises(ObjectNotFoundError):
        object_store.read_bytes("rec/missing")
    with pytest.raises(ObjectNotFoundError):
        object_store.sha256_of("rec/missing")
    with pytest.raises(ObjectNotFoundError):
        object_store.download("rec/missing", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
def test_delete_removes_the_object_and_is_idempotent(object_store: ObjectStore) -> None:
    object_store.put_bytes("rec/seg", b"x", sha256(b"x"))

    object_store.delete("rec/seg")
    object_store.delete("rec/seg")

    assert object_store.stat("rec/seg") is None


@pytest.mark.integration
def test_a_put_into_a_missing_bucket_fails_without_creating_it(object_store: ObjectStore) -> None:
    elsewhere = ObjectStore(
        dataclasses.replace(object_store.config, bucket=object_store.config.bucket + "-x")
    )

    with pytest.raises(ObjectNotFoundError, match="NoSuchBucket"):
        elsewhere.put_bytes("k", b"x", sha256(b"x"))


@pytest.mark.integration
def test_ensure_bucket_is_idempotent_and_checks_object_lock(object_store: ObjectStore) -> None:
    object_store.ensure_bucket()
    locked = ObjectStore(
        dataclasses.replace(object_store.config, bucket=object_store.config.bucket + "-lock")
    )
    try:
        locked.ensure_bucket(object_lock=True)
        locked.ensure_bucket(object_lock=True)
        with pytest.raises(ArchiveError, match="without object lock"):
            object_store.ensure_bucket(object_lock=True)
    finally:
        locked.delete_bucket()


@pytest.mark.integration
def test_a_bucket_holding_objects_is_not_deleted(object_store: ObjectStore) -> None:
    object_store.put_bytes("rec/seg", b"evidence", sha256(b"evidence"))

    with pytest.raises(ArchiveError, match="BucketNotEmpty"):
        object_store.delete_bucket()

    assert object_store.read_bytes("rec/seg") == b"evidence"


@pytest.mark.integration
def test_a_read_against_a_hash_of_record_names_that_record_when_the_bytes_differ(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    data = os.urandom(3000)
    source = tmp_path / "masked.m4s"
    source.write_bytes(data)
    object_store.put_file("rec/masked.m4s", source, sha256(data))
    assert b"".join(object_store.open_verified("rec/masked.m4s").chunks()) == data  # its metadata

    recorded = sha256(data[:-1] + bytes([data[-1] ^ 1]))  # a manifest that records other bytes
    stream = object_store.open_verified("rec/masked.m4s", sha256=recorded)
    with pytest.raises(ChecksumMismatchError, match=f"the record read against says {recorded}"):
        b"".join(stream.chunks())
