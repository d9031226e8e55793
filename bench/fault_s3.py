"""Uploads through an S3 fault proxy for minutes: objects lost / duplicated, journal order kept.

A real SeaweedFS server on loopback behind tests/faults/s3_fault_proxy.py. The uploader drains a
recording's segments and journal chunks while the proxy cycles through its faults every few seconds
(drop mid-body, stall, reset, slow, full outage, corrupt bodies), with healthy spells between, then
heals. Prints objects lost, duplicated, journal chunks stored before a segment they name, entries left
failed, and mismatch alarms raised/cleared. Not in CI: ``python bench/fault_s3.py [--minutes M]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
import threading
import time
from pathlib import Path

from archive.spool.upload_queue import UploadQueue
from archive.spool.uploader import Uploader
from archive.store.embedded import EmbeddedStore
from archive.store.object_store import ObjectStore
from tests.conftest import free_port
from tests.faults.s3_fault_proxy import Fault, FaultRule, S3FaultProxy
from tests.faults.s3_scenario import Outcome, QueuedRecording, outcome, queue_recording, unfinished
from timebase.backoff import Backoff

_PUTS = frozenset({"PUT"})
CYCLE = (
    FaultRule(Fault.DROP_MID_BODY, methods=_PUTS),
    FaultRule(Fault.STALL, methods=_PUTS, stall_seconds=30),
    FaultRule(Fault.RESET, methods=_PUTS),
    FaultRule(Fault.SLOW, methods=_PUTS, bytes_per_second=8_000),  # 64 kbit/s
    FaultRule(Fault.OUTAGE),
    FaultRule(Fault.CORRUPT, methods=_PUTS),
)


def fault_s3(*, minutes: float = 3.0, segments: int = 300, flap_seconds: float = 5.0) -> Outcome:
    """Run the long fault cycle for ``minutes`` over ``segments`` segments; returns what reached the store."""
    with tempfile.TemporaryDirectory(prefix="fault-s3-") as scratch:
        root = Path(scratch)
        store = EmbeddedStore(root / "store", port=free_port())
        store.start()
        try:
            direct = ObjectStore(dataclasses.replace(store.config, bucket="faults"))
            direct.ensure_bucket()
            port = int(store.config.endpoint.rsplit(":", 1)[1])
            with S3FaultProxy(port) as proxy, UploadQueue(root / "q.sqlite") as queue:
                queued = QueuedRecording()
                pace = minutes * 60 / segments  # the recording goes on while the faults come and go
                feeder = threading.Thread(
                    target=queue_recording,
                    args=(queue, root / "spool"),
                    kwargs={"segments": segments, "per_chunk": 10, "pace_seconds": pace, "queued": queued},
                    daemon=True,
                )
                feeder.start()
                via_proxy = ObjectStore(
                    dataclasses.replace(direct.config, endpoint=proxy.endpoint), timeout_seconds=5
                )
                alarms: list[bool] = []
                uploader = Uploader(
                    queue,
                    via_proxy,
                    backoff=Backoff(first_seconds=0.2, cap_seconds=5),
                    mismatch_backoff=Backoff(first_seconds=0.5, cap_seconds=5),
                    on_mismatch_alarm=lambda _item, active, _m: alarms.append(active),
                )
                uploader.start()
                try:
                    deadline = time.monotonic() + minutes * 60
                    for rule in itertools.cycle(CYCLE):
                        if time.monotonic() >= deadline:
                            break
                        proxy.add(dataclasses.replace(rule))
                        time.sleep(flap_seconds)
                        proxy.heal()
                        time.sleep(flap_seconds / 2)
                    proxy.heal()
                    feeder.join()
                    drain_until = time.monotonic() + 300
                    while unfinished(queue) and time.monotonic() < drain_until:
                        time.sleep(0.5)
                finally:
                    uploader.stop()
                result = outcome(queued, proxy, direct, queue)
                print(f"mismatch alarms raised {alarms.count(True)}, cleared {alarms.count(False)}")
                print(f"requests seen by the proxy: {len(proxy.exchanges)}")
                return result
        finally:
            store.stop()


def main(argv: list[str] | None = None) -> int:
    """Print objects lost/duplicated (and the journal order) after the long fault cycle."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--segments", type=int, default=300)
    args = parser.parse_args(argv)
    result = fault_s3(minutes=args.minutes, segments=args.segments)
    print(f"objects lost: {len(result.lost)}")
    print(f"objects duplicated: {len(result.duplicated)}")
    print(f"journal chunks stored before a segment they name: {len(result.chunks_before_segments)}")
    print(f"entries left failed: {len(result.failed_entries)}")
    for problem in [*result.lost, *result.duplicated, *result.chunks_before_segments, *result.failed_entries]:
        print(f"  {problem}")
    return 0 if result.clean else 1


if __name__ == "__main__":
    sys.exit(main())
