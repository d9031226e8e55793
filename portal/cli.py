"""``python -m portal``: serve, migrate, create-user, create-court, reconcile, mask-replays, audit
verify/head, devices (list, approve-key, export-keys, export-anchors), seed-demo.

Exit codes: 0 success, 1 a failure explained on stderr in one line, 2 bad usage (argparse) or a
refused COURTREC_ setting (one line naming it and what it accepts, before anything starts).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from pydantic import ValidationError
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from archive import ArchiveError
from archive.formats.settings_errors import RefusedSettingError, load_settings
from archive.progress import ProgressLine
from archive.settings import ArchiveSettings
from portal.audit.trail import verify_chain
from portal.clock import SystemClock
from portal.db import make_engine, make_sessionmaker, transaction
from portal.demo import seed_demo
from portal.devices.cli import add_devices_command, run_devices_command
from portal.errors import ConfigurationError, PortalError
from portal.identity.accounts import create_user, get_or_create_court, get_or_create_courtroom
from portal.migrate import current_revision, head_revision, upgrade
from portal.models import Role
from portal.records.reconciler import reconcile_now
from portal.records.storage import archive_store
from portal.replays.masking_worker import MaskedReplayWorker
from portal.settings import DEFAULT_PORTAL_DOMAIN, Environment, PortalSettings
from streaming.settings import StreamingSettings

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", type=Path, default=None, help="data directory (default COURTREC_DATA_DIR)")
    parser = argparse.ArgumentParser(prog="python -m portal", description="courtrec portal")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web portal (uvicorn)", parents=[common])
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--reconcile-every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="reconcile the recordings index with the bucket this often (0: never)",
    )
    commands.add_parser("migrate", help="create or upgrade the database schema", parents=[common])
    user = commands.add_parser(
        "create-user", help="create a court staff account (password from stdin or prompt)", parents=[common]
    )
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role if r != Role.PARTY])
    user.add_argument("--display-name", default="")
    user.add_argument("--court-id", type=int, default=None)
    user.add_argument("--office-phone", default=None)
    user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    court = commands.add_parser("create-court", help="create a court and its courtrooms", parents=[common])
    court.add_argument(
        "--code", required=True, help="the court code the capture agents journal (COURTREC_COURT)"
    )
    court.add_argument("--name", required=True)
    court.add_argument(
        "--room", action="append", default=[], metavar="CODE=NAME", help="a courtroom (repeat)"
    )
    commands.add_parser("reconcile", help="scan the bucket and update the recordings index", parents=[common])
    commands.add_parser(
        "mask-replays",
        help="make the masked replays still missing (hearings whose faces are masked; `serve` does it too)",
        parents=[common],
    )
    audit = commands.add_parser("audit", help="audit log tools", parents=[common])
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    check = audit_commands.add_parser(
        "verify", help="check the hash chain (exit 1 when broken)", parents=[common]
    )
    check.add_argument(
        "--expect-head", default=None, metavar="SEQ:HASH", help="a head noted earlier (`audit head`)"
    )
    audit_commands.add_parser(
        "head", help="print the chain's head (SEQ:HASH) to keep elsewhere", parents=[common]
    )
    add_devices_command(commands, common)
    demo = commands.add_parser(
        "seed-demo", help="create demo data and print demo credentials (JSON)", parents=[common]
    )
    demo.add_argument(
        "--grant-recording", default=None, help="index this recording and grant it to the demo party"
    )
    demo.add_argument(
        "--live-hearing",
        action="store_true",
        help="also a public hearing of the demo courtroom starting now (broadcast live by `serve`)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; see the module docstring for exit codes."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    data: Path | None = args.data
    try:
        settings = _checked_settings(data)
    except RefusedSettingError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 2
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        print(f"portal: {where_data_is(settings, from_flag=data is not None)}", file=sys.stderr)
        return _COMMANDS[args.command](settings, args)
    except (PortalError, ArchiveError, SQLAlchemyError, ValidationError, OSError) as exc:
        print(f"portal: {_first_line(exc)}", file=sys.stderr)
        return 1


def where_data_is(settings: PortalSettings, *, from_flag: bool) -> str:
    """Which data directory and database this command uses, and why (court IT must never wonder
    whether ``serve`` and a maintenance command looked at the same place)."""
    if from_flag:
        source = "--data"
    elif "COURTREC_DATA_DIR" in os.environ:
        source = "COURTREC_DATA_DIR"
    else:
        source = "default; set COURTREC_DATA_DIR or --data to change"
    database = make_url(settings.resolved_database_url()).render_as_string(hide_password=True)
    return f"data directory {settings.data_dir.resolve()} ({source}); database {database}"


def _checked_settings(data: Path | None) -> PortalSettings:
    """The portal's settings, and those of the archive and (when mounted) the live server it reads,
    all checked up front; RefusedSettingError names the first refused one."""
    settings = load_settings(PortalSettings)
    if data is not None:
        settings = settings.model_copy(update={"data_dir": data})
    load_settings(ArchiveSettings)
    if settings.portal_live:
        load_settings(StreamingSettings)
    return settings


def _serve(settings: PortalSettings, args: argparse.Namespace) -> int:
    # The server's own imports (the web app, uvicorn, the live server) load only when serving: the
    # other commands start in a fraction of the time.
    import uvicorn  # noqa: PLC0415

    from portal.broadcasting.live_origin import open_public_origin  # noqa: PLC0415
    from portal.records.reconciler import PeriodicReconciler  # noqa: PLC0415
    from portal.web.app import create_app  # noqa: PLC0415
    from streaming.server.web.http_protocol import h11_with_header_timeout  # noqa: PLC0415

    settings.check()  # refuse placeholder secrets before starting anything
    if settings.portal_domain == DEFAULT_PORTAL_DOMAIN and settings.environment != Environment.DEVELOPMENT:
        logger.warning(
            "COURTREC_PORTAL_DOMAIN is not set: notice UIDs end in @%s; set the court's domain, once",
            DEFAULT_PORTAL_DOMAIN,
        )
    engine = make_engine(settings.resolved_database_url())
    if current_revision(engine) != head_revision():
        raise ConfigurationError("the database schema is not current: run `python -m portal migrate` first")
    engine.dispose()
    archive = ArchiveSettings()
    with _stop_signals_end_uvicorn_only(), archive_store(settings, archive) as store:
        public_origin = open_public_origin(archive, store) if settings.portal_live else None
        app = create_app(settings, store=store, public_origin=public_origin)
        with contextlib.ExitStack() as stack:
            if args.reconcile_every > 0:
                stack.enter_context(PeriodicReconciler(app.state.portal, args.reconcile_every))
            uvicorn.run(
                app,
                host=args.host,
                port=args.port,
                log_level="info",
                proxy_headers=False,
                http=h11_with_header_timeout(settings.portal_header_timeout_seconds),
                h11_max_incomplete_event_size=settings.portal_max_header_bytes,
                timeout_keep_alive=settings.portal_keep_alive_seconds,
                limit_concurrency=settings.portal_max_connections,
            )
    return 0


@contextlib.contextmanager
def _stop_signals_end_uvicorn_only() -> Iterator[None]:
    """uvicorn stops on SIGINT/SIGTERM, then raises the signal again once its own handlers are gone.
    Catch that repeat here, so the embedded store and the reconciler are stopped cleanly after it."""

    def note(signum: int, _frame: FrameType | None) -> None:
        logger.info("portal stopped by signal %d", signum)

    previous = {signum: signal.signal(signum, note) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _migrate(settings: PortalSettings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _create_user(settings: PortalSettings, args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    engine = make_engine(settings.resolved_database_url())
    with transaction(make_sessionmaker(engine)) as db:
        user = create_user(
            db,
            username=args.username,
            display_name=args.display_name,
            role=Role(args.role),
            password=password,
            now=SystemClock().now(),
            actor="cli",
            court_id=args.court_id,
            office_phone=args.office_phone,
        )
        print(f"created user {user.username} (id {user.id}, role {user.role.value})")
    return 0


def _create_court(settings: PortalSettings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.resolved_database_url())
    with transaction(make_sessionmaker(engine)) as db:
        court = get_or_create_court(db, args.code, args.name)
        for room in args.room:
            code, _, name = str(room).partition("=")
            created = get_or_create_courtroom(db, court, code.strip(), name.strip() or code.strip())
            print(f"courtroom {created.code} (id {created.id})")
        print(f"court {court.code} (id {court.id})")
    engine.dispose()
    return 0


def _reconcile(settings: PortalSettings, _args: argparse.Namespace) -> int:
    from portal.web.app import create_app  # noqa: PLC0415 - the web app only for commands that need it

    with archive_store(settings, ArchiveSettings()) as store:
        app = create_app(settings, store=store)
        progress = ProgressLine("reconcile", "recordings")
        print(json.dumps(reconcile_now(app.state.portal, "cli", on_progress=progress)))
    return 0


def _mask_replays(settings: PortalSettings, _args: argparse.Namespace) -> int:
    """One pass of the masking worker ``serve`` runs: safe beside it, and after a killed run."""
    from portal.web.app import create_app  # noqa: PLC0415 - the web app only for commands that need it

    with archive_store(settings, ArchiveSettings()) as store:
        worker: MaskedReplayWorker | None = create_app(settings, store=store).state.masked_replays
        if worker is None:
            raise ConfigurationError("no recording archive is configured: nothing to mask")
        outcomes = worker.run_pass()
    print(
        json.dumps([{"recording": o.recording_id, "masked": o.masked, "reused": o.reused} for o in outcomes])
    )
    return 0


def _audit(settings: PortalSettings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.resolved_database_url())
    head = None
    if getattr(args, "expect_head", None):
        seq, _, digest = str(args.expect_head).partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ConfigurationError("--expect-head must be SEQ:HASH as printed by `audit head`")
        head = (int(seq), digest)
    with make_sessionmaker(engine, readonly=True)() as db:
        report = verify_chain(db, expected_head=head)
    if args.audit_command == "head":
        print(f"{report.head_seq}:{report.head_hash}")
        return 0
    for problem in report.problems:
        print(problem)
    state = "intact" if report.intact else f"BROKEN ({len(report.problems)} problem(s))"
    print(f"audit log {state}: {report.records} records, head {report.head_seq}:{report.head_hash}")
    return 0 if report.intact else 1


def _seed_demo(settings: PortalSettings, args: argparse.Namespace) -> int:
    from portal.web.app import create_app  # noqa: PLC0415 - the web app only for commands that need it

    with archive_store(settings, ArchiveSettings()) as store:
        app = create_app(settings, store=store)
        context = app.state.portal
        if args.grant_recording:
            reconcile_now(context, "demo-seed")
        with transaction(context.sessions) as db:
            credentials = seed_demo(
                db, now=context.clock.now(), recording_id=args.grant_recording, live_hearing=args.live_hearing
            )
    print(
        json.dumps({name: getattr(credentials, name) for name in credentials.__slots__}, ensure_ascii=False)
    )
    return 0


_COMMANDS = {
    "serve": _serve,
    "migrate": _migrate,
    "create-user": _create_user,
    "create-court": _create_court,
    "reconcile": _reconcile,
    "mask-replays": _mask_replays,
    "audit": _audit,
    "seed-demo": _seed_demo,
    "devices": run_devices_command,
}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
