"""Tamper table, long form (issue 11): try every tampering of a multi-session recording against
``archive verify`` with the portal's key list and anchored head, on a real SeaweedFS server.

Prints one line per tampering (detected or not, and the finding) and ``tamperings detected X of Y``;
exits 1 when any tampering passed. ``bench/faults.py`` calls :func:`main`.

    PYTHONPATH=$PWD .venv/bin/python bench/fault_tamper.py [--sessions N] [--segments N]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from tests.conftest import empty_and_delete_bucket, free_port
from tests.faults.tamper_kit import TAMPERINGS, record, verify_tampered


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3, help="recording sessions (default 3)")
    parser.add_argument("--segments", type=int, default=5, help="segments per session (default 5)")
    args = parser.parse_args(argv)
    detected = 0
    with tempfile.TemporaryDirectory(prefix="bench-tamper-") as scratch:
        work = Path(scratch)
        archived = record(work / "recording", sessions=args.sessions, segments_per_session=args.segments)
        with EmbeddedStore(work / "store", port=free_port()) as server:
            for tampering in TAMPERINGS:
                config = dataclasses.replace(server.config, bucket=f"tamper-{uuid.uuid4().hex[:12]}")
                store = ObjectStore(config)
                store.ensure_bucket()
                try:
                    report = verify_tampered(store, archived, tampering)
                finally:
                    empty_and_delete_bucket(store)
                hit = next((p for p in report.problems if tampering.finding in p), None)
                detected += hit is not None
                verdict = "detected" if hit is not None else "NOT DETECTED"
                print(f"{tampering.name:36s} {verdict}: {hit or '; '.join(report.problems) or 'intact'}")
    print(f"tamperings detected {detected} of {len(TAMPERINGS)}")
    return 0 if detected == len(TAMPERINGS) else 1


if __name__ == "__main__":
    sys.exit(main())
