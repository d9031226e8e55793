"""The ``python -m archive`` subcommands that keep the archive provable: backup, audit, restore,
export, worm-probe, retention, legal-hold and dispose. Argument parsing and printing only; the long
ones (backup, audit, restore, export) show their progress on stderr (:class:`ProgressLine`).

Exit codes: 0 done and clean; 1 done, but problems remain (see the output and the alarms); 2 the
command could not run (printed by :func:`archive.cli.main`).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive.alarms import AlarmCondition
from archive.export.bag import export_bag
from archive.operations import Operations, operations_from_settings
from archive.preservation.audit_report import latest_audit_report, render_text
from archive.preservation.backup import Backup, BackupReport
from archive.preservation.fixity_audit import FixityAudit
from archive.preservation.restore import restore
from archive.progress import ProgressLine
from archive.retention.disposal import dispose_expired
from archive.stop_request import StopRequest
from archive.store.storage_pressure import check_bucket_pressure, check_disk_pressure

SubParsers = argparse._SubParsersAction  # the type of ArgumentParser.add_subparsers()'s result


def add_operations_commands(commands: SubParsers[argparse.ArgumentParser]) -> None:
    """Add the subcommands to ``commands`` (an argparse sub-parsers object)."""
    _add_backup(commands)
    audit = commands.add_parser("audit", help="re-hash copies on both sites, repair bad ones, report")
    audit.add_argument(
        "--sample-period",
        type=float,
        default=None,
        metavar="DAYS",
        help="re-hash a rotating sample covering everything within DAYS (default: all)",
    )
    audit.add_argument("--report", type=Path, default=None, help="also write the JSON report here")
    audit.add_argument("--workers", type=int, default=4, help="objects re-hashed at a time")
    audit.set_defaults(handler=_audit, actor="courtrec-audit")
    restore_cmd = commands.add_parser("restore", help="rebuild the primary from the backup and verify")
    restore_cmd.add_argument("--recording", default=None, help="only this recording (default: all)")
    restore_cmd.set_defaults(handler=_restore, actor="courtrec-restore")
    export = commands.add_parser("export", help="write a recording as a BagIt bag with a joined MP4")
    export.add_argument("--recording", required=True)
    export.add_argument("--out", type=Path, required=True, help="directory; the bag is OUT/RECORDING_ID")
    export.set_defaults(handler=_export, actor="courtrec-export")
    probe = commands.add_parser("worm-probe", help="check for real whether each site enforces Object Lock")
    probe.set_defaults(handler=_worm_probe, actor="courtrec-worm-probe")
    _add_retention(commands)


def _add_backup(commands: SubParsers[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser("backup", help="copy every archived object to the backup site, verified")
    backup.add_argument("--watch", action="store_true", help="keep running, one pass every --interval")
    backup.add_argument("--interval", type=float, default=60.0, help="seconds between passes (default 60)")
    backup.add_argument(
        "--max-lag",
        type=float,
        default=3600.0,
        help="alarm when no pass has completed for this many seconds (default 3600)",
    )
    backup.set_defaults(handler=_backup, actor="courtrec-backup")


def _add_retention(commands: SubParsers[argparse.ArgumentParser]) -> None:
    retention = commands.add_parser("retention", help="assign or show retention (per case type)")
    actions = retention.add_subparsers(dest="retention_action", required=True)
    apply = actions.add_parser("apply", help="give a recording the retention of its case type")
    apply.add_argument("--recording", required=True)
    apply.add_argument("--case-type", required=True, help="a key of COURTREC_RETENTION_POLICIES")
    apply.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=None,
        help="count from this UTC time (ISO 8601; default: the recording's start)",
    )
    apply.add_argument("--actor", required=True, help="who decides (recorded in the compliance log)")
    apply.set_defaults(handler=_retention_apply)
    show = actions.add_parser("show", help="print retention, holds and disposals from the compliance log")
    show.set_defaults(handler=_retention_show, actor="courtrec-retention")
    hold = commands.add_parser("legal-hold", help="set or clear the legal hold on a case")
    hold_actions = hold.add_subparsers(dest="hold_action", required=True)
    for name in ("set", "clear"):
        action = hold_actions.add_parser(name)
        action.add_argument("--case", required=True)
        action.add_argument("--reason", required=True)
        action.add_argument("--actor", required=True)
        action.set_defaults(handler=_legal_hold)
    dispose = commands.add_parser("dispose", help="dispose of expired, unheld recordings (audited)")
    dispose.add_argument("--actor", required=True)
    dispose.add_argument("--dry-run", action="store_true")
    dispose.add_argument("--data-dir", type=Path, default=None, help="also check this disk for pressure")
    dispose.set_defaults(handler=_dispose)


def run_operation(args: argparse.Namespace) -> int:
    """Run the parsed operations command; returns its exit code."""
    handler: Any = args.handler
    code: int = handler(args)
    return code


def _finish(ops: Operations, ok: bool) -> int:
    return 0 if ok and not ops.alarms.critical else 1


def _backup(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor, need_backup=True)
    ops.probe()
    job = Backup(ops.primary, ops.backup_site(), protect=ops.protect, alarm=ops.alarms)
    if not args.watch:
        report = job.run_once(on_progress=ProgressLine("backup", "recordings"))
        _print_backup(report)
        return _finish(ops, report.ok)
    stop = StopRequest()
    restore_handlers = stop.install()
    try:
        job.watch(
            interval_seconds=args.interval, stop=stop, max_lag_seconds=args.max_lag, on_pass=_print_backup
        )
    finally:
        restore_handlers()
    return _finish(ops, True)


def _print_backup(report: BackupReport) -> None:
    print(report.summary(), flush=True)
    for problem in report.problems:
        print(f"  {problem}", flush=True)


def _audit(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor)
    ops.probe()
    period = None if args.sample_period is None else timedelta(days=args.sample_period)
    previous = latest_audit_report(ops.primary.store) if period is not None else None
    audit = FixityAudit(ops.sites, log=ops.log(), alarm=ops.alarms, protect=ops.protect, workers=args.workers)
    report = audit.run(
        sample_period=period,
        previous_run_at=None if previous is None else previous.started_at,
        on_progress=ProgressLine("audit", "recordings"),
    )
    if args.report is not None:
        args.report.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    print(render_text(report))
    return _finish(ops, report.clean)


def _restore(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor, need_backup=True)
    ops.probe()
    report = restore(
        ops.backup_site(),
        ops.primary,
        recording_id=args.recording,
        protect=ops.protect,
        on_progress=ProgressLine("restore", "recordings"),
    )
    print("\n".join(report.lines()))
    return _finish(ops, report.ok)


def _export(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor)
    records = ops.log().records()
    result = export_bag(
        ops.sites,
        args.recording,
        args.out,
        compliance_records=records,
        on_progress=ProgressLine(f"export {args.recording}", "objects"),
    )
    print(f"bag {result.bag_dir}: {result.segments} archived objects and {result.mp4.name}, validated")
    return 0


def _worm_probe(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor)
    ops.probe(out=lambda line: None)
    for report in ops.worm.values():
        print("\n".join(report.lines()))
    return 0 if ops.worm and all(report.capable for report in ops.worm.values()) else 1


def _retention_apply(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor)
    ops.probe()
    state = ops.keeper().assign(args.recording, args.case_type, actor=args.actor, start=args.start)
    until = "permanently" if state.retain_until is None else f"until {state.retain_until.isoformat()}"
    print(f"recording {state.recording_id} ({state.case_type}) is retained {until}")
    return _finish(ops, True)


def _retention_show(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor)
    book = ops.keeper().book()
    out = {
        "retention": {
            rid: {
                "case": s.case,
                "case_type": s.case_type,
                "retain_until": None if s.retain_until is None else s.retain_until.isoformat(),
            }
            for rid, s in sorted(book.retention.items())
        },
        "legal_holds": dict(sorted(book.holds.items())),
        "disposed": sorted(book.disposed),
    }
    print(json.dumps(out, indent=2))
    return 0


def _legal_hold(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor)
    ops.probe()
    keeper = ops.keeper()
    if args.hold_action == "set":
        ids = keeper.set_legal_hold(args.case, actor=args.actor, reason=args.reason)
        print(f"case {args.case} is under legal hold; recordings: {', '.join(ids) or 'none yet'}")
    else:
        ids = keeper.clear_legal_hold(args.case, actor=args.actor, reason=args.reason)
        print(f"legal hold on case {args.case} released; recordings: {', '.join(ids) or 'none'}")
    return _finish(ops, True)


def _dispose(args: argparse.Namespace) -> int:
    ops = operations_from_settings(args.actor)
    ops.probe()
    quotas = {"primary": ops.settings.storage_quota_bytes, "backup": ops.settings.backup_storage_quota_bytes}
    for site in ops.sites:
        quota = quotas.get(site.name)
        if quota is not None:
            print(check_bucket_pressure(site, quota, alarm=ops.alarms).line())
    if args.data_dir is not None:
        print(check_disk_pressure(args.data_dir, alarm=ops.alarms).line())
    report = dispose_expired(
        ops.keeper(), actor=args.actor, now=datetime.now(UTC), dry_run=args.dry_run, alarm=ops.alarms
    )
    print("\n".join(report.lines()))
    pressed = any(alarm.condition is AlarmCondition.STORAGE_PRESSURE for alarm in ops.alarms.raised)
    return _finish(ops, report.ok and not pressed)
