"""``python -m archive``: run the embedded store, verify a recording, drain a spool's upload queue;
and backup, audit, restore, export, worm-probe, retention, legal-hold, dispose (archive.operations_cli)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from archive.errors import ArchiveError
from archive.formats.settings_errors import RefusedSettingError, load_settings
from archive.operations_cli import add_operations_commands, run_operation
from archive.settings import ArchiveSettings
from archive.spool.layout import queue_path
from archive.spool.requeue import requeue_failed_entries
from archive.spool.upload_queue import UploadQueue
from archive.spool.uploader import Uploader
from archive.store.embedded.readiness import START_SECONDS_FLAG, START_SECONDS_SETTING
from archive.store_command import run_store_command
from archive.verify_command import VerifyRequest, run_verify

if TYPE_CHECKING:
    from archive.store.object_store import ObjectStore


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="python -m archive", description="courtrec archive")
    commands = parser.add_subparsers(dest="command", required=True)
    store = commands.add_parser("store", help="run the embedded SeaweedFS S3 server on loopback")
    store.add_argument("--data", type=Path, required=True, help="data directory of the store")
    store.add_argument("--port", type=int, default=8333, help="S3 port (default 8333)")
    store.add_argument(
        START_SECONDS_FLAG,
        dest="start_seconds",
        type=_start_seconds,
        default=None,
        help=f"seconds weed may take to answer S3 (default {START_SECONDS_SETTING}, else 120)",
    )
    verify = commands.add_parser("verify", help="check every hash, the chain and signatures of a recording")
    verify.add_argument("recording_id")
    verify.add_argument("--public-key", default=None, help="pin the device's base64 Ed25519 public key")
    verify.add_argument(
        "--key-list",
        type=Path,
        default=None,
        help="approved device keys (python -m portal devices export-keys)",
    )
    verify.add_argument(
        "--portal-public-key", default=None, help="the portal key the key list must be signed by (base64)"
    )
    verify.add_argument(
        "--anchors",
        type=Path,
        default=None,
        help="checkpoint heads (python -m portal devices export-anchors)",
    )
    verify.add_argument(
        "--portal", default=None, help="ask this portal for keys and heads (COURTREC_PORTAL_VERIFY_TOKEN)"
    )
    upload = commands.add_parser("upload", help="upload what a spool's queue still holds, then exit")
    upload.add_argument("--spool", type=Path, required=True)
    upload.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    upload.add_argument(
        "--retry-failed",
        action="store_true",
        help="first put every conflict/corrupt entry back in the queue (printing each), then upload",
    )
    add_operations_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        load_settings(ArchiveSettings)  # every COURTREC_ setting checked before any work
        if hasattr(args, "handler"):
            return run_operation(args)
        if args.command == "store":
            start = args.start_seconds
            if start is None:
                start = ArchiveSettings().store_start_seconds
            return run_store_command(args.data, args.port, start_seconds=start)
        if args.command == "verify":
            request = VerifyRequest(
                recording_id=args.recording_id,
                public_key=args.public_key,
                key_list=args.key_list,
                portal_public_key=args.portal_public_key,
                anchors=args.anchors,
                portal_url=args.portal,
            )
            return run_verify(request, ArchiveSettings(), _primary_store())
        return _upload(args.spool, args.timeout, retry_failed=args.retry_failed)
    except (ArchiveError, RefusedSettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _start_seconds(text: str) -> float:
    """``--start-timeout``: a number of seconds in 0.1..3600."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.1 <= seconds <= 3600:  # the bounds of ArchiveSettings.store_start_seconds
        raise argparse.ArgumentTypeError(f"must be a number of seconds in 0.1..3600 (got {text!r})")
    return seconds


def _primary_store() -> ObjectStore:
    config = ArchiveSettings().primary_store()
    if config is None:
        raise ArchiveError(
            "no object store configured: set COURTREC_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _BUCKET"
        )
    from archive.store.object_store import ObjectStore  # noqa: PLC0415 - minio: loaded when a store is opened, not at start-up

    return ObjectStore(config)


def _upload(spool: Path, timeout: float, *, retry_failed: bool = False) -> int:
    if not queue_path(spool).exists():
        raise ArchiveError(f"{spool} holds no upload queue")
    settings = ArchiveSettings()
    store = _primary_store()
    with UploadQueue(queue_path(spool)) as queue:
        if retry_failed:
            requeue_failed_entries(queue, out=sys.stdout)
        uploader = Uploader(queue, store, mismatch_window_seconds=settings.upload_mismatch_window_seconds())
        drained = uploader.drain(timeout_seconds=timeout)
        print(", ".join(f"{state}={count}" for state, count in queue.counts().items()))
    return 0 if drained else 1
