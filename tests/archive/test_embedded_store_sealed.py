"""The embedded store exposes only S3: weed's gRPC needs our certificate, its volume server a signed JWT.

The attacks are the ones of issue 10, finding 5, made with the real ``weed shell`` and plain HTTP by a
local process that holds no S3 keys. Each attack is paired with the same request made with the
store's own ``security.toml`` (or S3 keys), so a refusal proves the seal and not a wrong address.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from cryptography import x509

from archive.store import ObjectStore
from archive.store.embedded import EmbeddedStore
from archive.store.embedded.weed_process import find_weed, weed_ports
from archive.store.embedded.weed_security import COMMON_NAME, write_security_config
from archive.store.worm_probe import probe_worm

_REFUSED_SHELL_SECONDS = 8.0  # without our certificate weed shell never connects; it does not exit


def shell(store: EmbeddedStore, commands: str, cwd: Path, *, timeout: float = 60.0) -> str | None:
    """Run ``weed shell`` against the store's master and filer from ``cwd`` (also its HOME, so no
    ~/.seaweedfs is read); its output, or None when it did not finish within ``timeout`` seconds."""
    ports = weed_ports(int(store.config.endpoint.rsplit(":", 1)[1]))
    master = f"127.0.0.1:{ports['master.port']}.{ports['master.port.grpc']}"  # host:http.grpc
    filer = f"127.0.0.1:{ports['filer.port']}.{ports['filer.port.grpc']}"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("WEED_")}
    try:
        done = subprocess.run(
            [str(find_weed()), "shell", f"-master={master}", f"-filer={filer}"],
            input=commands + "\n",
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=environment | {"HOME": str(cwd)},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    return done.stdout + done.stderr


def http(method: str, url: str, body: bytes | None = None) -> int | str:
    """The HTTP status of one request, or "refused" when no HTTP answer came."""
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return "refused"


@pytest.fixture
def stored_key(embedded_store: EmbeddedStore) -> tuple[str, bytes]:
    """A fresh object in the evidence bucket (no retention), put through S3."""
    key, body = f"sealed/{uuid.uuid4().hex}/seg.m4s", b"evidence: only S3 may read or change this\n"
    ObjectStore(embedded_store.config).put_bytes(key, body, hashlib.sha256(body).hexdigest())
    return key, body


def chunk_file_id(store: EmbeddedStore, key: str) -> str:
    """The volume file id of the object's one chunk, asked with the store's own security.toml."""
    versions = f"/buckets/{store.config.bucket}/{key}.versions"
    listing = shell(store, f"fs.ls {versions}", store.data_dir) or ""
    version = re.search(r"v_[0-9a-f]+", listing)
    assert version is not None, listing
    meta = shell(store, f"fs.meta.cat {versions}/{version.group(0)}", store.data_dir) or ""
    file_id = re.search(r'"fileId":\s*"([0-9]+,[0-9a-f]+)"', meta)
    assert file_id is not None, meta
    return file_id.group(1)


# -- without starting weed ------------------------------------------------------------------------------


def test_security_config_is_private_and_its_certificate_is_reused(tmp_path: Path) -> None:
    path = write_security_config(tmp_path, "127.0.0.1")
    tls = tmp_path / "tls"
    first = {file.name: file.read_bytes() for file in tls.iterdir()}
    first_toml = path.read_text()

    write_security_config(tmp_path, "127.0.0.1")

    assert sorted(first) == ["ca.crt", "weed.crt", "weed.key"]  # the CA's key is never written
    assert {file.name: file.read_bytes() for file in tls.iterdir()} == first
    assert stat.S_IMODE(tls.stat().st_mode) == 0o700
    for file in (path, *tls.iterdir()):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    node = x509.load_pem_x509_certificate(first["weed.crt"])
    node.verify_directly_issued_by(x509.load_pem_x509_certificate(first["ca.crt"]))
    assert COMMON_NAME in node.subject.rfc4514_string()
    keys = re.compile(r'^key = "([A-Za-z0-9_-]+)"$', re.MULTILINE)  # not the paths of [grpc.*]
    assert len(set(keys.findall(first_toml))) == 4  # four JWT signing keys, all different
    assert not set(keys.findall(first_toml)) & set(keys.findall(path.read_text()))  # fresh per start
    assert f'allowed_commonNames = "{COMMON_NAME}"' in first_toml


def test_an_unusable_certificate_is_reissued(tmp_path: Path) -> None:
    write_security_config(tmp_path, "127.0.0.1")
    node_cert = tmp_path / "tls" / "weed.crt"
    old_ca = (tmp_path / "tls" / "ca.crt").read_bytes()
    node_cert.write_text("not a certificate")

    write_security_config(tmp_path, "127.0.0.1")

    assert (tmp_path / "tls" / "ca.crt").read_bytes() != old_ca
    x509.load_pem_x509_certificate(node_cert.read_bytes())


# -- with the real weed ---------------------------------------------------------------------------------


@pytest.mark.integration
def test_weed_shell_without_the_stores_certificate_cannot_list_or_change_the_bucket(
    embedded_store: EmbeddedStore, stored_key: tuple[str, bytes], tmp_path: Path
) -> None:
    key, body = stored_key
    bucket = embedded_store.config.bucket
    attack = "\n".join(
        (f"fs.ls /buckets/{bucket}", "s3.bucket.list", f"fs.rm -r /buckets/{bucket}/{key}.versions", "exit")
    )

    refused = shell(embedded_store, attack, tmp_path, timeout=_REFUSED_SHELL_SECONDS)

    assert refused is None or (bucket not in refused and "sealed" not in refused), refused
    assert ObjectStore(embedded_store.config).read_bytes(key) == body
    # the same shell with the store's own security.toml does connect: the refusal is the seal's
    granted = shell(embedded_store, f"fs.ls /buckets/{bucket}", embedded_store.data_dir)
    assert granted is not None and "sealed" in granted, granted


@pytest.mark.integration
def test_direct_http_to_master_volume_and_filer_cannot_read_or_change_an_object(
    embedded_store: EmbeddedStore, stored_key: tuple[str, bytes]
) -> None:
    key, body = stored_key
    ports = weed_ports(int(embedded_store.config.endpoint.rsplit(":", 1)[1]))
    file_id = chunk_file_id(embedded_store, key)
    paths = {
        "volume.port": f"/{file_id}",
        "master.port": f"/{file_id}",
        "filer.port": f"/buckets/{embedded_store.config.bucket}/{key}",
    }

    for port_flag, path in paths.items():
        url = f"http://127.0.0.1:{ports[port_flag]}{path}"
        for method, forged in (("GET", None), ("PUT", b"forged"), ("POST", b"forged"), ("DELETE", None)):
            status = http(method, url, forged)
            assert status in (401, 403, 404, "refused"), f"{method} {port_flag} {path}: {status}"

    assert http("GET", f"http://127.0.0.1:{ports['volume.port']}/{file_id}") == 401  # wrong jwt
    assert ObjectStore(embedded_store.config).read_bytes(key) == body


@pytest.mark.integration
def test_s3_with_keys_still_works_and_object_lock_is_still_enforced(embedded_store: EmbeddedStore) -> None:
    config = dataclasses.replace(embedded_store.config, bucket=f"sealed-{uuid.uuid4().hex[:12]}")
    store = ObjectStore(config)
    store.ensure_bucket(object_lock=True)

    report = probe_worm(store, retention_seconds=30)

    assert report.capable, report.lines()
