"""The public live origin on a real SeaweedFS: replaceable PUTs with HLS headers, anonymous reads of
public objects only, CORS for the portal's origin, withdrawal, and refusal of evidence buckets."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator

import pytest
from pydantic import SecretStr

from archive.errors import ArchiveError, PublicOriginError
from archive.settings import ArchiveSettings
from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import DEFAULT_PUBLIC_BUCKET, EmbeddedStore
from archive.store.public_origin import (
    CHANGING_CACHE_CONTROL,
    IMMUTABLE_CACHE_CONTROL,
    PublicOrigin,
    PublicOriginConfig,
)
from tests.conftest import empty_and_delete_bucket

PORTAL_ORIGIN = "http://127.0.0.1:8000"
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def anonymous(url: str, *, method: str = "GET", data: bytes | None = None, **headers: str) -> Answer:
    """One HTTP request without credentials, as a browser on the portal's origin makes it."""
    request = urllib.request.Request(
        url, method=method, data=data, headers={"Origin": PORTAL_ORIGIN, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, _lowered(response.headers.items()), response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _lowered(exc.headers.items()), exc.read())


def _lowered(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def _origin(store_config: StoreConfig, prefix: str = "") -> PublicOrigin:
    config = PublicOriginConfig(
        dataclasses.replace(store_config, bucket=f"test-public-{uuid.uuid4().hex[:12]}"), prefix=prefix
    )
    return PublicOrigin(config, evidence_buckets={store_config.bucket})


@contextlib.contextmanager
def _fresh(origin: PublicOrigin) -> Iterator[PublicOrigin]:
    origin.ensure_bucket()
    try:
        yield origin
    finally:
        empty_and_delete_bucket(ObjectStore(origin.config.store))


@pytest.fixture
def public_origin(store_config: StoreConfig) -> Iterator[PublicOrigin]:
    """A PublicOrigin on a fresh, anonymously readable bucket of its own (removed afterwards)."""
    with _fresh(_origin(store_config)) as origin:
        yield origin


# -- without a server ---------------------------------------------------------------------------------


def test_the_evidence_bucket_is_refused_by_name() -> None:
    evidence = StoreConfig("http://127.0.0.1:9", "access-key-0123456", "secret" * 6, "courtrec")
    with pytest.raises(PublicOriginError, match="evidence bucket 'courtrec'"):
        PublicOrigin(PublicOriginConfig(evidence), evidence_buckets={"courtrec", "courtrec-backup"})


def test_settings_refuse_evidence_buckets_and_default_to_the_primary_store() -> None:
    primary = StoreConfig("http://127.0.0.1:9", "access-key-0123456", "secret" * 6, "evidence")
    assert ArchiveSettings().public_origin(primary) is None  # not configured: the directory publisher
    for bucket in ("evidence", "courtrec", "courtrec-backup"):
        with pytest.raises(PublicOriginError, match="evidence bucket"):
            ArchiveSettings(public_s3_bucket=bucket).public_origin(primary)

    config = ArchiveSettings(public_s3_bucket="live", public_s3_prefix="/hls/").public_origin(primary)
    assert config is not None
    assert (config.store.endpoint, config.store.bucket, config.prefix) == (primary.endpoint, "live", "hls/")
    assert config.direct_url == "http://127.0.0.1:9/live/hls/"

    separate = ArchiveSettings(
        public_s3_bucket="live",
        public_s3_endpoint="cdn-origin.court.example:9000",
        public_s3_access_key="publisher-key-0123",
        public_s3_secret_key=SecretStr("publisher-secret-0123456789"),
    ).public_origin(primary)
    assert separate is not None and separate.store.endpoint == "http://cdn-origin.court.example:9000"
    with pytest.raises(ArchiveError, match="COURTREC_PUBLIC_S3_ACCESS_KEY"):
        ArchiveSettings(public_s3_bucket="live", public_s3_endpoint="x:1").public_origin(primary)
    with pytest.raises(ArchiveError, match="neither"):
        ArchiveSettings(public_s3_bucket="live").public_origin(None)
    with pytest.raises(ArchiveError, match="PREFIX"):
        ArchiveSettings(public_s3_bucket="live", public_s3_prefix="a/../b").public_origin(primary)


def test_names_outside_the_origin_are_refused() -> None:
    config = StoreConfig("http://127.0.0.1:9", "access-key-0123456", "secret" * 6, "live")
    origin = PublicOrigin(PublicOriginConfig(config), evidence_buckets=set())
    for name in ("../court-1/cam/live.m3u8", "/court-1/cam/live.m3u8", "court-1//live.m3u8", "a/./b", ""):
        with pytest.raises(ValueError, match="relative"):
            origin.put(name, b"x", PLAYLIST_TYPE)
    with pytest.raises(ValueError, match="relative"):
        origin.delete_prefix("/")  # never the whole origin
    with pytest.raises(ValueError, match="relative"):
        origin.list_names("court-1/../evidence")


# -- against the real store ---------------------------------------------------------------------------


@pytest.mark.integration
def test_the_playlist_is_replaced_and_served_with_hls_headers(public_origin: PublicOrigin) -> None:
    base = public_origin.config.direct_url
    public_origin.put("court-1/cam/live.m3u8", b"#EXTM3U\n#one\n", PLAYLIST_TYPE)
    public_origin.put("court-1/cam/live.m3u8", b"#EXTM3U\n#two\n", PLAYLIST_TYPE)
    public_origin.put("court-1/cam/init-0001.mp4", b"init", "video/mp4")
    segment = bytes(range(256)) * 64
    public_origin.put("court-1/cam/0001-000001.m4s", segment, "video/iso.segment")

    playlist = anonymous(f"{base}court-1/cam/live.m3u8")
    assert playlist.status == 200 and playlist.body == b"#EXTM3U\n#two\n"  # replaced, not refused
    assert playlist.headers["content-type"] == PLAYLIST_TYPE
    assert playlist.headers["cache-control"] == CHANGING_CACHE_CONTROL
    assert playlist.headers["access-control-allow-origin"] == PORTAL_ORIGIN  # hls.js on the portal's page
    media = anonymous(f"{base}court-1/cam/0001-000001.m4s")
    assert media.status == 200 and hashlib.sha256(media.body).digest() == hashlib.sha256(segment).digest()
    assert media.headers["content-type"] == "video/iso.segment"
    assert media.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
    init = anonymous(f"{base}court-1/cam/init-0001.mp4")
    assert init.headers["content-type"] == "video/mp4"
    assert init.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
    preflight = anonymous(
        f"{base}court-1/cam/live.m3u8", method="OPTIONS", **{"Access-Control-Request-Method": "GET"}
    )
    assert preflight.status == 200 and preflight.headers["access-control-allow-origin"] == PORTAL_ORIGIN


@pytest.mark.integration
def test_anonymous_clients_may_read_public_objects_only(public_origin: PublicOrigin) -> None:
    public_origin.put("court-1/cam/live.m3u8", b"#EXTM3U\n", PLAYLIST_TYPE)
    store = public_origin.config.store
    bucket_url = f"{store.endpoint}/{store.bucket}/"
    assert anonymous(f"{bucket_url}court-1/cam/live.m3u8").status == 200
    assert anonymous(f"{bucket_url}?list-type=2").status == 403  # no listing of what was published
    assert anonymous(f"{bucket_url}court-1/cam/live.m3u8", method="PUT", data=b"#EXTM3U\n#x\n").status == 403
    assert anonymous(f"{bucket_url}court-1/cam/live.m3u8", method="DELETE").status == 403
    assert anonymous(f"{bucket_url}court-1/cam/live.m3u8").body == b"#EXTM3U\n"


@pytest.mark.integration
def test_the_embedded_store_keeps_evidence_private_beside_its_public_bucket(
    embedded_store: EmbeddedStore,
) -> None:
    public = embedded_store.public_origin
    assert public is not None and public.store.bucket == DEFAULT_PUBLIC_BUCKET
    origin = PublicOrigin(public, evidence_buckets={embedded_store.config.bucket})
    origin.ensure_bucket()  # exists already, without Object Lock, readable: idempotent
    name = f"test-{uuid.uuid4().hex[:8]}/cam/status.json"
    origin.put(name, b'{"state": "live"}', "application/json")
    try:
        assert anonymous(f"{public.direct_url}{name}").body == b'{"state": "live"}'
        evidence = ObjectStore(embedded_store.config)
        key = f"test-{uuid.uuid4().hex[:8]}/evidence.txt"
        body = b"sealed evidence"
        evidence.put_bytes(key, body, hashlib.sha256(body).hexdigest())
        refused = anonymous(f"{embedded_store.config.endpoint}/{embedded_store.config.bucket}/{key}")
        assert refused.status == 403 and body not in refused.body
        assert b"AccessDenied" in refused.body
    finally:
        origin.delete_prefix(name.split("/", maxsplit=1)[0])


@pytest.mark.integration
def test_delete_and_delete_prefix_withdraw(public_origin: PublicOrigin) -> None:
    base = public_origin.config.direct_url
    for feed in ("court-1/cam", "court-1/cam-2"):
        for name in ("live.m3u8", "status.json", "init-0001.mp4", "0001-000001.m4s", "0001-000002.m4s"):
            public_origin.put(f"{feed}/{name}", name.encode(), "video/iso.segment")
    public_origin.delete("court-1/cam/0001-000001.m4s")
    public_origin.delete("court-1/cam/0001-000001.m4s")  # already gone: no error
    assert anonymous(f"{base}court-1/cam/0001-000001.m4s").status in (403, 404)
    assert anonymous(f"{base}court-1/cam/0001-000002.m4s").status == 200

    assert public_origin.list_names("court-1/cam") == [
        "court-1/cam/0001-000002.m4s",
        "court-1/cam/init-0001.mp4",
        "court-1/cam/live.m3u8",
        "court-1/cam/status.json",
    ]
    assert len(public_origin.list_names()) == 9

    public_origin.delete_prefix("court-1/cam")
    store = ObjectStore(public_origin.config.store)
    assert [o.key for o in store.list_objects("court-1/cam/")] == []
    assert anonymous(f"{base}court-1/cam/live.m3u8").status in (403, 404)
    assert len(list(store.list_objects("court-1/cam-2/"))) == 5  # a prefix is a directory, not a stem
    assert anonymous(f"{base}court-1/cam-2/live.m3u8").status == 200
    assert public_origin.list_names() == public_origin.list_names("court-1/cam-2")


@pytest.mark.integration
def test_a_prefix_scopes_keys_and_the_anonymous_read_policy(store_config: StoreConfig) -> None:
    with _fresh(_origin(store_config, prefix="hls")) as origin:
        origin.put("court-1/cam/live.m3u8", b"#EXTM3U\n", PLAYLIST_TYPE)
        assert origin.list_names() == ["court-1/cam/live.m3u8"]  # names as published, without the prefix
        config = origin.config
        assert config.direct_url.endswith(f"/{config.store.bucket}/hls/")
        assert anonymous(f"{config.direct_url}court-1/cam/live.m3u8").status == 200
        outside = PublicOrigin(PublicOriginConfig(config.store), evidence_buckets=set())
        outside.put("private/note.txt", b"not under the public prefix", "text/plain")
        assert origin.list_names() == ["court-1/cam/live.m3u8"]  # nothing outside its prefix
        assert anonymous(f"{config.store.endpoint}/{config.store.bucket}/private/note.txt").status == 403


@pytest.mark.integration
def test_a_bucket_with_object_lock_is_refused(store_config: StoreConfig) -> None:
    locked = ObjectStore(dataclasses.replace(store_config, bucket=f"test-locked-{uuid.uuid4().hex[:12]}"))
    locked.ensure_bucket(object_lock=True)
    try:
        origin = PublicOrigin(PublicOriginConfig(locked.config), evidence_buckets={store_config.bucket})
        with pytest.raises(PublicOriginError, match="Object Lock"):
            origin.ensure_bucket()
    finally:
        empty_and_delete_bucket(locked)
