"""``python -m portal devices …``: list reported device keys, approve one, export the signed key list
and the anchored checkpoint heads for offline verification (``archive verify --key-list/--anchors``).

``revoke-key KEY --actor NAME --reason TEXT`` revokes a device key for good: the device's fleet
calls are refused from then on, the key leaves the exported key list, and every journal it signed
fails ``archive verify`` (before the revocation too: a leaked key can sign any date; see
``portal.devices.registry.trust_for``). The device enrols again with a new key and a new code.

``enrol-code DEVICE --court CODE`` registers a device (for its court, with its officer) and prints a
one-time enrolment code (issue 15): the device enrols with it at ``POST /api/agent/devices/enrol``.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from archive.formats.durable_io import write_file_durably
from portal.clock import SystemClock
from portal.db import make_engine, make_sessionmaker, transaction
from portal.devices.enrolment import create_code
from portal.devices.exports import export_heads, export_key_list, portal_signing_key
from portal.devices.fleet import register_device
from portal.devices.registry import approve_key, device_keys, revoke_key
from portal.errors import ConfigurationError
from portal.settings import PortalSettings

SubParsers = argparse._SubParsersAction  # the type of ArgumentParser.add_subparsers()'s result


def add_devices_command(
    commands: SubParsers[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    devices = commands.add_parser("devices", help="device keys and anchored checkpoints", parents=[common])
    actions = devices.add_subparsers(dest="devices_command", required=True)
    actions.add_parser("list", help="every reported device key and whether it is approved", parents=[common])
    approve = actions.add_parser("approve-key", help="approve a reported device key", parents=[common])
    approve.add_argument("public_key", help="the device's base64 Ed25519 public key (see `devices list`)")
    approve.add_argument("--actor", required=True, help="who approves (recorded in the audit log)")
    revoke = actions.add_parser(
        "revoke-key",
        help="revoke a device key: its fleet calls are refused and every journal it signed fails verify",
        parents=[common],
    )
    revoke.add_argument("public_key", help="the device's base64 Ed25519 public key (see `devices list`)")
    revoke.add_argument("--actor", required=True, help="who revokes (recorded in the audit log)")
    revoke.add_argument("--reason", required=True, help="why, e.g. 'device lost on 2026-12-01'")
    code = actions.add_parser(
        "enrol-code", help="register a device and print a one-time enrolment code", parents=[common]
    )
    code.add_argument("device_id", help="the device's id (letters, digits, '.', '_', '-')")
    code.add_argument("--court", required=True, help="the court code the device belongs to (COURTREC_COURT)")
    code.add_argument("--officer", default="", help="the officer who carries it")
    code.add_argument("--actor", required=True, help="who issues the code (recorded in the audit log)")
    keys = actions.add_parser("export-keys", help="write the signed list of approved keys", parents=[common])
    keys.add_argument("--out", type=Path, required=True)
    anchors = actions.add_parser(
        "export-anchors", help="write the anchored checkpoint heads", parents=[common]
    )
    anchors.add_argument("--out", type=Path, required=True)
    anchors.add_argument("--recording", default=None, help="only this recording (default: all)")


def run_devices_command(settings: PortalSettings, args: argparse.Namespace) -> int:
    """Run one ``devices`` action; returns the exit code."""
    out: Path | None = getattr(args, "out", None)
    if out is not None and out.exists():
        raise ConfigurationError(f"--out {out} already exists; exports never overwrite a file")
    engine = make_engine(settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    now = SystemClock().now()
    try:
        if args.devices_command == "list":
            with sessions() as db:
                for row in device_keys(db):
                    approved = (
                        f" by {row.approved_by} at {row.approved_at.isoformat()}" if row.approved_at else ""
                    )
                    print(f"{row.device_id}\t{row.status.value}{approved}\t{row.public_key}")
        elif args.devices_command == "approve-key":
            with transaction(sessions) as db:
                row = approve_key(db, args.public_key, actor=args.actor, now=now)
                print(f"device key of {row.device_id} approved: {row.public_key}")
        elif args.devices_command == "revoke-key":
            with transaction(sessions) as db:
                row = revoke_key(db, args.public_key, actor=args.actor, reason=args.reason, now=now)
                print(f"device key of {row.device_id} revoked: {row.public_key}")
            print("its fleet calls are refused; every journal it signed now fails `archive verify`;")
            print("export the key list again (devices export-keys) for offline verifiers")
        elif args.devices_command == "enrol-code":
            lifetime = timedelta(hours=settings.portal_enrolment_code_hours)
            with transaction(sessions) as db:
                register_device(db, args.device_id, args.court, args.officer, actor=args.actor, now=now)
                issued, code = create_code(db, args.device_id, actor=args.actor, now=now, lifetime=lifetime)
            print(f"one-time enrolment code of {args.device_id}: {code}")
            print(f"valid until {issued.expires_at.isoformat()} (UTC), once; only its hash is stored")
        elif args.devices_command == "export-keys":
            signer = portal_signing_key(settings)
            with sessions() as db:
                write_file_durably(args.out, export_key_list(db, signer, now=now))
            print(f"wrote {args.out}; verify with --key-list {args.out}", end=" ")
            print(f"--portal-public-key {signer.public_key_b64}")
        else:
            with sessions() as db:
                write_file_durably(args.out, export_heads(db, now=now, recording_id=args.recording))
            print(f"wrote {args.out}; verify with --anchors {args.out}")
    finally:
        engine.dispose()
    return 0
