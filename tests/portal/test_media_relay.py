"""``/media/<token>`` streams a stored segment in chunks, checked against its SHA-256 on the way."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from datetime import timedelta

import httpx
import pytest

from archive.store import ObjectStore
from archive.store.s3_client import make_minio_client
from portal.web.media.relay_tokens import MediaTokens
from tests.portal.conftest import Portal
from tests.portal.served import ServedApp

pytestmark = pytest.mark.integration
SIZE = 5 * 1024 * 1024 + 123  # several chunks and a short last one


def _tokens(portal: Portal) -> MediaTokens:
    return MediaTokens(portal.app.state.portal.secret_key, portal.clock.now)


def test_a_multi_megabyte_segment_is_relayed_intact_and_a_wrong_copy_is_cut_short(
    portal: Portal, recording_store: ObjectStore
) -> None:
    data = os.urandom(SIZE)
    good, bad = (f"relay-{uuid.uuid4().hex}/{name}.m4s" for name in ("good", "bad"))
    recording_store.put_bytes(good, data, hashlib.sha256(data).hexdigest())
    # a copy whose bytes no longer match the hash it was stored with (one byte flipped)
    flipped = data[:1000] + bytes([data[1000] ^ 1]) + data[1001:]
    client = make_minio_client(recording_store.config, timeout_seconds=10, pool_size=1)
    metadata = {"sha256": hashlib.sha256(data).hexdigest()}
    client.put_object(recording_store.config.bucket, bad, io.BytesIO(flipped), SIZE, metadata=metadata)  # type: ignore[arg-type]
    tokens = _tokens(portal)
    with ServedApp(portal.app) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        answer = http.get(tokens.url(good, timedelta(minutes=1)))
        assert answer.status_code == 200 and answer.headers["content-length"] == str(SIZE)
        assert answer.headers["content-type"] == "video/iso.segment"
        assert hashlib.sha256(answer.content).digest() == hashlib.sha256(data).digest()
        received = bytearray()
        with (
            pytest.raises(httpx.RemoteProtocolError),
            http.stream("GET", tokens.url(bad, timedelta(minutes=1))) as got,
        ):
            assert got.status_code == 200  # the headers left before the last byte was read
            for chunk in got.iter_bytes():
                received += chunk
        assert 0 < len(received) < SIZE  # cut short: the wrong copy never arrives whole


def test_a_bad_token_is_a_chinese_page_for_browsers(portal: Portal) -> None:
    client = portal.client()
    expired = _tokens(portal).url("relay/any.m4s", timedelta(seconds=-1))
    for url in (expired, "/media/bm90LWEtdG9rZW4.c2lnbmF0dXJl"):
        answer = client.get(url, headers={"Accept": "text/html"})
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
        assert "此链接无效或已过期" in answer.text
    assert client.get(expired, headers={"Accept": "application/json"}).status_code == 404
