"""Four body cameras through the S3 fault proxy with the link down in the middle (issue 15 item 7,
the short version: 30 s of recording, the link down 12 s of it, a fault every 2 s so that each kind
hits before and after the outage; bench/bodycam_faults.py runs 10 minutes with 3 minutes down)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.store import ObjectStore
from tests.faults.bodycam_fleet import FleetPlan, run_fleet
from tests.faults.s3_fault_proxy import S3FaultProxy

pytestmark = pytest.mark.integration

SHORT = FleetPlan(record_seconds=30.0, outage_at=8.0, outage_seconds=12.0, fault_every_seconds=2.0)


@pytest.fixture
def proxy(object_store: ObjectStore) -> Iterator[S3FaultProxy]:
    port = int(object_store.config.endpoint.rsplit(":", 1)[1])
    with S3FaultProxy(port) as started:
        yield started


def test_four_bodycams_through_faults_and_an_outage_lose_and_duplicate_nothing(
    tmp_path: Path, object_store: ObjectStore, proxy: S3FaultProxy
) -> None:
    result = run_fleet(object_store, proxy, tmp_path, SHORT)
    print(result.line())
    assert len(result.recordings) == 4
    assert result.outage_resets > 0, "the outage refused nothing: the link was never down"
    assert set(result.faults) >= {"drop_mid_body", "stall", "reset", "slow"}, result.faults
    assert result.segments >= 4 * 10  # 2-s segments: 15 a camera, less start-up
    assert not result.lost, result.lost
    assert not result.duplicated, result.duplicated
    assert not result.not_intact, result.not_intact
