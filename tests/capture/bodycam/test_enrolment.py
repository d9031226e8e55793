"""``capture bodycam --enrol-code``: the key is enrolled once (a restart with the same command line
does not spend the used code again), and a failed enrolment never keeps the camera from recording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from capture.bodycam.agent import BodycamConfig
from capture.bodycam.command import _enrol
from capture.bodycam.portal_link import PortalLinkError
from devices import parse_source_spec


class _Portal:
    """The enrolment call as the portal answers it: refused when ``refuse`` says why."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.calls: list[tuple[str, str]] = []

    def enrol(self, public_key: str, code: str) -> None:
        self.calls.append((public_key, code))
        if self.refuse is not None:
            raise PortalLinkError(self.refuse)


def _config(spool: Path) -> BodycamConfig:
    return BodycamConfig(
        device_id="bodycam-1",
        court="demo-court",
        unit="bodycam-1",
        spool=spool,
        sources=[parse_source_spec("synthetic#size=320x240&fps=15")],
        pre_event_seconds=0,
    )


def test_a_key_is_enrolled_once_and_a_refusal_only_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    refusing: Any = _Portal("POST /api/agent/devices/enrol: HTTP 403 Forbidden: 登记码无效")
    _enrol(refusing, "KEY-1", "CODE", config)
    assert "enrolment of bodycam-1 failed" in capsys.readouterr().err  # warned; nothing raised
    portal: Any = _Portal()
    _enrol(portal, "KEY-1", "CODE", config)
    _enrol(portal, "KEY-1", "CODE", config)  # restarted with the same command line
    assert portal.calls == [("KEY-1", "CODE")]
    _enrol(portal, "KEY-2", "CODE-2", config)  # a new key (the old one revoked) enrols again
    assert portal.calls[-1] == ("KEY-2", "CODE-2")
