"""The embedded object store: a real SeaweedFS S3 server (``weed mini``) on loopback, owned by us.

``weed mini`` runs master, volume server, filer, S3 gateway, admin server and a maintenance worker in
one process and answers S3 within about a second. Every TCP port it opens is derived from the S3
port (see :func:`weed_ports`), so several instances (primary and backup site) run side by side.
WebDAV, the admin UI, Iceberg and Lance endpoints are off, master and filer answer gRPC only (their
HTTP APIs would let any local process rewrite objects behind S3's back), telemetry is off, and every
listener binds to the given host only. Only S3 is open to other local processes: weed runs in the data
directory with a generated ``security.toml`` (see :mod:`archive.store.embedded.weed_security`), so its
gRPC ports demand our certificate (mutual TLS) and its volume server a signed JWT. Layout under the data
directory::

    credentials.json     generated access/secret key (0600), reused on every start
    s3-identities.json   weed's -s3.config, rewritten from credentials.json on start (0600)
    security.toml, tls/  weed's gRPC certificates (reused) and JWT keys (fresh on every start), 0600
    logs/                weed -logdir, plus weed.out (its stdout/stderr)
    weed/                weed -dir: volumes, filer metadata, mini.options

weed also creates Unix sockets ``/tmp/seaweedfs-*-<port>.sock`` named after those ports and leaves
some behind; stop() removes ours once weed has exited.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import subprocess
import time
from pathlib import Path
from types import TracebackType

from archive.errors import ArchiveError, EmbeddedStoreError
from archive.store.embedded.credentials import StoreCredentials, load_or_create_credentials, write_private
from archive.store.embedded.readiness import DEFAULT_START_SECONDS, ReadinessWait
from archive.store.embedded.weed_process import (
    check_ports_free,
    find_weed,
    parent_death_signal,
    remove_unix_sockets,
    weed_ports,
)
from archive.store.embedded.weed_security import write_security_config
from archive.store.object_store import ObjectStore
from archive.store.public_origin import PublicOrigin
from archive.store.public_origin_config import PublicOriginConfig
from archive.store.store_config import StoreConfig

logger = logging.getLogger(__name__)

_LOG_TAIL_BYTES = 4000
_READY_PROBE_KEY = "_courtrec/probe/ready"
_READY_PROBE_BODY = b"courtrec: the embedded store is ready when this object can be written and read\n"
# weed would add identities/buckets from AWS_/S3_, and WEED_ variables override security.toml
_STRIPPED_ENV_PREFIXES = ("AWS_", "S3_", "WEED_")
DEFAULT_PUBLIC_BUCKET = "courtrec-public"


class EmbeddedStore:
    """A SeaweedFS S3 server in ``data_dir``, started and stopped by us; a context manager.

    Credentials are generated on the first start and kept in ``data_dir``, so a restarted store keeps
    both its objects and its keys. Besides the private evidence ``bucket`` (S3 Object Lock), the
    store has ``public_bucket`` for public live HLS: no Object Lock, and anyone may GET its objects
    (a bucket policy; SeaweedFS answers CORS for any origin by default, so hls.js on the portal's
    origin can read it). ``public_bucket=None`` leaves it out.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 8333,
        host: str = "127.0.0.1",
        bucket: str = "courtrec",
        public_bucket: str | None = DEFAULT_PUBLIC_BUCKET,
        start_seconds: float = DEFAULT_START_SECONDS,
    ) -> None:
        if public_bucket == bucket:
            raise ValueError(f"'public_bucket' must differ from the evidence bucket (got {bucket!r} twice)")
        self._ports = weed_ports(port)
        self._data_dir = data_dir.absolute()  # weed resolves relative paths against its own cwd
        self._port = port
        self._host = host
        self._bucket = bucket
        self._public_bucket = public_bucket
        self._start_seconds = start_seconds
        self._process: subprocess.Popen[bytes] | None = None
        self._credentials: StoreCredentials | None = None

    @property
    def config(self) -> StoreConfig:
        """Endpoint, credentials and bucket of this store; EmbeddedStoreError before the first start."""
        if self._credentials is None:
            raise EmbeddedStoreError("the embedded store has not been started; its credentials are unknown")
        return StoreConfig(
            endpoint=f"http://{self._host}:{self._port}",
            access_key=self._credentials.access_key,
            secret_key=self._credentials.secret_key,
            bucket=self._bucket,
        )

    @property
    def public_origin(self) -> PublicOriginConfig | None:
        """The anonymously readable public live bucket (None without one); EmbeddedStoreError before
        the first start."""
        if self._public_bucket is None:
            return None
        return PublicOriginConfig(dataclasses.replace(self.config, bucket=self._public_bucket))

    @property
    def data_dir(self) -> Path:
        """The directory holding the store's data, logs and credentials."""
        return self._data_dir

    @property
    def pid(self) -> int | None:
        """Process id of the running weed, None when not started or stopped."""
        return self._process.pid if self._process is not None else None

    @property
    def is_running(self) -> bool:
        """True while the weed process we started is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout_seconds: float | None = None) -> None:
        """Spawn weed and return once it answers an authenticated S3 request and the bucket exists.

        Waits at most ``timeout_seconds`` (default: the constructor's ``start_seconds``), logging
        every few seconds what it waits for (see :mod:`archive.store.embedded.readiness`). No-op when already
        running. Raises EmbeddedStoreError (binary missing, a port taken, weed exited or did not
        answer in time: the first line names the setting that allows more; then the tail of weed's
        output); OSError when the data directory cannot be written.
        """
        if self.is_running:
            return
        self.stop()  # reap a weed that died on its own
        weed = find_weed()
        self._prepare_data_dir()
        check_ports_free(self._host, self._ports)
        self._process = self._spawn(weed)
        logger.info(
            "started weed (pid %d) for %s on %s:%d", self._process.pid, self._data_dir, self._host, self._port
        )
        try:
            self._wait_until_ready(self._start_seconds if timeout_seconds is None else timeout_seconds)
        except BaseException:
            self.stop()
            raise

    def stop(self, *, grace_seconds: float = 30.0) -> None:
        """SIGTERM weed, wait up to ``grace_seconds``, then SIGKILL; idempotent.

        Returns once the process has exited and been reaped.
        """
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(grace_seconds)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "weed (pid %d) ignored SIGTERM for %.0f s; killing it", process.pid, grace_seconds
                )
                process.kill()
                process.wait()
        logger.info("weed (pid %d) stopped with exit code %s", process.pid, process.returncode)
        remove_unix_sockets(self._ports.values())

    def __enter__(self) -> EmbeddedStore:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------------------

    @property
    def _log_dir(self) -> Path:
        return self._data_dir / "logs"

    @property
    def _output_log(self) -> Path:
        return self._log_dir / "weed.out"

    def _prepare_data_dir(self) -> None:
        for directory in (self._data_dir, self._log_dir, self._data_dir / "weed"):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # evidence: owner only
        self._credentials = load_or_create_credentials(self._data_dir / "credentials.json")
        identities = {
            "identities": [
                {
                    "name": "courtrec",
                    "credentials": [
                        {"accessKey": self._credentials.access_key, "secretKey": self._credentials.secret_key}
                    ],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        write_private(self._data_dir / "s3-identities.json", json.dumps(identities, indent=2))
        write_security_config(self._data_dir, self._host)

    def _command(self, weed: Path) -> list[str]:
        flags = {
            "dir": str(self._data_dir / "weed"),
            "ip": self._host,
            "ip.bind": self._host,
            "disableHttp": "true",  # master and filer speak gRPC only: no unauthenticated write path
            "master.telemetry": "false",
            "admin.ui": "false",
            "webdav": "false",
            "s3.iam": "false",
            "s3.port.iceberg": "0",
            "s3.port.lance": "0",
            "s3.config": str(self._data_dir / "s3-identities.json"),
            "s3.autoCreateBucket": "false",  # a PUT to a missing bucket must fail, as on MinIO / AWS
            "s3.allowDeleteBucketNotEmpty": "false",  # deleting a bucket must never take evidence with it
            # CORS for any origin (weed's default, made explicit): hls.js on the portal's origin reads
            # the public live bucket and presigned playback URLs; it grants no access by itself
            "s3.allowedOrigins": "*",
            **{flag: str(port) for flag, port in self._ports.items()},
        }
        return [
            str(weed),
            f"-logdir={self._log_dir}",
            "mini",
            *(f"-{name}={value}" for name, value in flags.items()),
        ]

    def _spawn(self, weed: Path) -> subprocess.Popen[bytes]:
        env = {
            name: value for name, value in os.environ.items() if not name.startswith(_STRIPPED_ENV_PREFIXES)
        }
        env["HOME"] = str(self._data_dir)  # never a ~/.seaweedfs/*.toml of the user's
        with self._output_log.open("ab") as output:
            return subprocess.Popen(
                self._command(weed),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self._data_dir,  # weed reads ./security.toml (and master.toml) before ~ and /etc
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop weed in order
                preexec_fn=parent_death_signal(),  # noqa: PLW1509 - only prctl, no locks taken
            )

    def _wait_until_ready(self, timeout_seconds: float) -> None:
        probe = ObjectStore(self.config, timeout_seconds=1.0)
        what = f"weed's S3 at {self.config.endpoint} (bucket {self._bucket!r} writable and readable)"
        wait = ReadinessWait(what, timeout_seconds)
        last_error: str | None = None
        while not wait.expired:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise EmbeddedStoreError(f"weed exited with code {code} while starting; {self._log_tail()}")
            try:
                # a new store's evidence bucket is created with S3 Object Lock (it cannot be added
                # later), so retention can be enforced by the store and not by us alone
                if not probe.bucket_exists():
                    probe.ensure_bucket(object_lock=True)
                # The filer answers before the volume server has loaded its volumes (after a restart
                # with data, reads then fail with 500 for a moment): ready means data can be written
                # and read back.
                probe.put_bytes(
                    _READY_PROBE_KEY, _READY_PROBE_BODY, hashlib.sha256(_READY_PROBE_BODY).hexdigest()
                )
                probe.read_bytes(_READY_PROBE_KEY)
                public = self.public_origin
                if public is not None:
                    PublicOrigin(public, evidence_buckets={self._bucket}).ensure_bucket(anonymous_read=True)
            except ArchiveError as exc:
                last_error = (str(exc).strip() or type(exc).__name__).splitlines()[0]
                wait.note(last_error)
                time.sleep(0.1)
                continue
            logger.info("weed answered S3 on %s after %.1f s", self.config.endpoint, wait.elapsed)
            return
        raise EmbeddedStoreError(f"{wait.timeout_message(last_error)}\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            with self._output_log.open("rb") as handle:
                handle.seek(max(0, handle.seek(0, os.SEEK_END) - _LOG_TAIL_BYTES))
                tail = handle.read().decode("utf-8", errors="replace").strip()
        except OSError as exc:
            return f"weed's output {self._output_log} is unreadable: {exc}"
        return f"weed's output ({self._output_log}) ends with:\n{tail}"
