"""Body cameras uploading through the S3 fault proxy (issue 15 item 7): real ``python -m capture
bodycam`` processes record synthetic pictures while the proxy in front of a real SeaweedFS server
drops, stalls, resets and slows their PUTs, with the link fully down for a stretch in the middle.
Then every camera is deactivated, its backlog drains and what reached the store is compared with
the journals: every sealed segment in the store exactly once, with its journaled SHA-256.

Shared by tests/faults/test_bodycam_fleet.py (a short run) and bench/bodycam_faults.py (10 minutes).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import itertools
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from archive.preservation.verify import verify_recording
from archive.store import ObjectStore
from tests.capture.bodycam.agent_process import Bodycam, post, start_bodycam, status
from tests.capture.conftest import journal_events
from tests.faults.s3_fault_proxy import Fault, FaultRule, S3FaultProxy

_PUTS = frozenset({"PUT"})
FAULTS = (
    FaultRule(Fault.DROP_MID_BODY, methods=_PUTS, count=1),
    FaultRule(Fault.STALL, methods=_PUTS, stall_seconds=4, count=1),
    FaultRule(Fault.RESET, methods=_PUTS, count=2),
    FaultRule(Fault.SLOW, methods=_PUTS, bytes_per_second=16_000, count=1),
)


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """How long to record, when the link goes down (seconds from the start) and for how long."""

    cameras: int = 4
    record_seconds: float = 60.0
    outage_at: float = 15.0
    outage_seconds: float = 25.0
    fault_every_seconds: float = 3.0
    drain_timeout_seconds: float = 180.0


@dataclass(slots=True)
class FleetOutcome:
    """What reached the store, per the journals, the store itself and the proxy's log of PUTs."""

    recordings: list[str] = field(default_factory=list)
    segments: int = 0
    lost: list[str] = field(default_factory=list)  # journaled, not in the store with the journaled hash
    duplicated: list[str] = field(default_factory=list)  # a segment key answered 200 to more than one PUT
    not_intact: list[str] = field(default_factory=list)  # recordings archive verify does not call intact
    faults: dict[str, int] = field(default_factory=dict)  # fault -> requests it broke
    outage_resets: int = 0

    @property
    def clean(self) -> bool:
        return bool(self.segments) and not (self.lost or self.duplicated or self.not_intact)

    def line(self) -> str:
        return (
            f"{len(self.recordings)} recordings, {self.segments} segments: lost {len(self.lost)},"
            f" duplicated {len(self.duplicated)}, not intact {len(self.not_intact)};"
            f" faults injected {self.faults}, requests refused during the outage {self.outage_resets}"
        )


def run_fleet(store: ObjectStore, proxy: S3FaultProxy, spool_root: Path, plan: FleetPlan) -> FleetOutcome:
    """Record with ``plan.cameras`` body cameras uploading through ``proxy`` (in front of ``store``)."""
    through = dataclasses.replace(store.config, endpoint=proxy.endpoint)
    options = ("--pre-event-seconds", "0", "--control-port", "0", "--activate-on-start")
    stop_faults = threading.Event()
    outage = FaultRule(Fault.OUTAGE)
    with contextlib.ExitStack() as running:
        cameras: list[Bodycam] = []
        for n in range(plan.cameras):
            started = start_bodycam(
                spool_root / f"cam-{n}", *options, device_id=f"bodycam-fleet-{n}", store=through
            )
            cameras.append(running.enter_context(started))
        running.callback(stop_faults.set)
        ports = [camera.control_port() for camera in cameras]
        recordings = [camera.read_until("started").split()[1] for camera in cameras]
        faults = threading.Thread(target=_inject_faults, args=(proxy, plan, stop_faults), daemon=True)
        began = time.monotonic()
        faults.start()
        _sleep_until(began + plan.outage_at)
        proxy.add(outage)
        _sleep_until(began + plan.outage_at + plan.outage_seconds)
        proxy.remove(outage)
        _sleep_until(began + plan.record_seconds)
        stop_faults.set()
        faults.join()
        for camera, port in zip(cameras, ports, strict=True):
            assert post(port, "/deactivate")[0] == 200
            camera.read_until("stopped")
        proxy.heal()
        deadline = time.monotonic() + plan.drain_timeout_seconds
        while time.monotonic() < deadline and any(status(port)["backlog_segments"] for port in ports):
            time.sleep(0.5)
        for camera in cameras:
            camera.process.send_signal(signal.SIGTERM)
        for camera in cameras:
            camera.process.wait(timeout=60)
    result = _compare(
        store, proxy, [(camera.spool, rec) for camera, rec in zip(cameras, recordings, strict=True)]
    )
    result.outage_resets = outage.hits
    return result


def _inject_faults(proxy: S3FaultProxy, plan: FleetPlan, stop: threading.Event) -> None:
    """One fault (for its count of requests) every ``fault_every_seconds``, round the cycle."""
    for rule in itertools.cycle(FAULTS):
        if stop.wait(plan.fault_every_seconds):
            return
        proxy.add(dataclasses.replace(rule, hits=0))


def _sleep_until(at: float) -> None:
    time.sleep(max(0.0, at - time.monotonic()))


def _compare(store: ObjectStore, proxy: S3FaultProxy, recorded: list[tuple[Path, str]]) -> FleetOutcome:
    result = FleetOutcome(recordings=[recording for _spool, recording in recorded])
    puts = collections.Counter(key for _at, key in proxy.stored_in_order())
    keys = {obj.key for obj in store.list_objects("recordings/")}
    for spool, recording in recorded:
        prefix = next((k.split(f"/{recording}/")[0] for k in keys if f"/{recording}/" in k), None)
        for event in journal_events(spool, recording):
            if event["type"] != "segment":
                continue
            result.segments += 1
            key = f"{prefix}/{recording}/{event['object']}"
            stored = None if prefix is None else store.stat(key)
            if stored is None or stored.sha256 != event["sha256"]:
                result.lost.append(key)
            if puts[key] > 1:
                result.duplicated.append(key)
        if not verify_recording(store, recording).intact:
            result.not_intact.append(recording)
    for exchange in proxy.exchanges:
        if exchange.fault is not None and exchange.fault is not Fault.OUTAGE:
            result.faults[str(exchange.fault)] = result.faults.get(str(exchange.fault), 0) + 1
    return result
