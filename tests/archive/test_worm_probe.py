"""The WORM probe against real SeaweedFS: enforced on a lock-enabled bucket, refused without Object Lock,
and caught out when a store claims retention but lets the object go (seaweedfs#7194's failure mode,
reproduced by a proxy that acknowledges retention without passing it on)."""

from __future__ import annotations

import dataclasses
import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from archive.store import ObjectStore, StoreConfig
from archive.store.embedded import EmbeddedStore
from archive.store.worm_probe import probe_worm

from .conftest import fresh_site

pytestmark = pytest.mark.integration

REQUIRED = {
    "bucket-object-lock",
    "retention-set",
    "plain-delete-keeps-version",
    "version-delete-refused",
    "batch-delete-refused",
    "overwrite-keeps-version",
    "shorten-refused",
    "legal-hold-blocks-delete",
}


def test_seaweedfs_enforces_object_lock_on_a_lock_enabled_bucket(embedded_store: EmbeddedStore) -> None:
    site = fresh_site("worm", embedded_store.config)
    report = probe_worm(site.store, retention_seconds=30)
    print("\n".join(report.lines()))  # the observed behaviour, for the record
    assert report.capable, report.lines()
    checks = {check.name: check for check in report.checks}
    assert {name for name, check in checks.items() if check.required} == REQUIRED
    assert all(checks[name].passed for name in REQUIRED)
    assert checks["governance-refused-without-bypass"].passed
    assert "intact" in checks["version-delete-refused"].detail
    assert report.to_dict()["capable"] is True


def test_a_bucket_without_object_lock_is_not_worm_capable(embedded_store: EmbeddedStore) -> None:
    site = fresh_site("nolock", embedded_store.config, object_lock=False)
    report = probe_worm(site.store, retention_seconds=30)
    assert not report.capable
    assert [c.name for c in report.checks] == ["bucket-object-lock"]
    assert "NOT WORM-capable" in report.summary()


class _LyingRetentionProxy(BaseHTTPRequestHandler):
    """Forwards every S3 request to weed, except that it answers PUT ?retention itself (remembering
    the body for GET ?retention) without forwarding: the store claims retention and enforces none."""

    upstream: tuple[str, int] = ("127.0.0.1", 0)
    claimed: dict[str, bytes] = {}

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        retention = "retention" in parse_qs(query, keep_blank_values=True)
        if retention and self.command == "PUT":
            self.claimed[path] = body
            self._reply(200, b"", {})
            return
        if retention and self.command == "GET" and path in self.claimed:
            self._reply(200, self.claimed[path], {"Content-Type": "application/xml"})
            return
        connection = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            connection.request(self.command, self.path, body=body or None, headers=dict(self.headers.items()))
            response = connection.getresponse()
            data = response.read()
            dropped = ("transfer-encoding", "connection") + (
                () if self.command == "HEAD" else ("content-length",)
            )
            headers = {k: v for k, v in response.getheaders() if k.lower() not in dropped}
            self._reply(response.status, data, headers)
        finally:
            connection.close()

    def _reply(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


@pytest.fixture
def lying_store(embedded_store: EmbeddedStore) -> Iterator[ObjectStore]:
    real = fresh_site("liar", embedded_store.config)
    handler = type(
        "Handler",
        (_LyingRetentionProxy,),
        {"upstream": ("127.0.0.1", int(embedded_store.config.endpoint.rsplit(":", 1)[1])), "claimed": {}},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config: StoreConfig = dataclasses.replace(
        real.store.config, endpoint=f"http://127.0.0.1:{server.server_port}"
    )
    try:
        yield ObjectStore(config)
    finally:
        server.shutdown()
        server.server_close()


def test_a_store_that_claims_retention_but_deletes_is_reported_not_worm_capable(
    lying_store: ObjectStore,
) -> None:
    report = probe_worm(lying_store, retention_seconds=30)
    checks = {check.name: check for check in report.checks}
    assert checks["retention-set"].passed  # it claims retention and reads it back...
    assert not checks["version-delete-refused"].passed  # ...but the retained version can be destroyed
    assert "GONE" in checks["version-delete-refused"].detail
    assert not report.capable
    assert "NOT WORM-capable" in report.summary()
