"""Four body cameras for 10 minutes through the S3 fault proxy, the link down 3 minutes in the middle
(issue 15 item 7): real ``python -m capture bodycam`` processes (320x240@15 synthetic pictures) upload
to a real SeaweedFS server through tests/faults/s3_fault_proxy.py, which drops, stalls, resets and
slows PUTs every few seconds. Prints segments journaled, lost, duplicated and recordings that do not
verify. Not in CI: ``python bench/bodycam_faults.py [--minutes 10] [--outage-minutes 3] [--cameras 4]``
(tests/faults/test_bodycam_fleet.py is the one-minute version).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from tests.conftest import free_port
from tests.faults.bodycam_fleet import FleetPlan, run_fleet
from tests.faults.s3_fault_proxy import S3FaultProxy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="recording time (default 10)")
    parser.add_argument("--outage-minutes", type=float, default=3.0, help="link down, centred (default 3)")
    parser.add_argument("--cameras", type=int, default=4)
    args = parser.parse_args(argv)
    if not 0 < args.outage_minutes < args.minutes:
        parser.error("--outage-minutes must be more than 0 and less than --minutes")
    record = args.minutes * 60
    outage = args.outage_minutes * 60
    plan = FleetPlan(
        cameras=args.cameras,
        record_seconds=record,
        outage_at=(record - outage) / 2,
        outage_seconds=outage,
        drain_timeout_seconds=max(300.0, outage * 2),
    )
    with tempfile.TemporaryDirectory(prefix="bodycam-faults-") as scratch:
        root = Path(scratch)
        site = EmbeddedStore(root / "store", port=free_port())
        site.start()
        try:
            store = ObjectStore(dataclasses.replace(site.config, bucket="bodycam-faults"))
            store.ensure_bucket()
            port = int(site.config.endpoint.rsplit(":", 1)[1])
            began = time.monotonic()
            with S3FaultProxy(port) as proxy:
                result = run_fleet(store, proxy, root / "spools", plan)
            print(f"{args.cameras} bodycams, {args.minutes:g} min, link down {args.outage_minutes:g} min")
            print(result.line())
            seen = len(proxy.exchanges)
            print(f"wall time {time.monotonic() - began:.0f} s; requests seen by the proxy {seen}")
            for problem in [*result.lost, *result.duplicated, *result.not_intact]:
                print(f"  {problem}")
        finally:
            site.stop()
    return 0 if result.clean else 1


if __name__ == "__main__":
    sys.exit(main())
