"""iCalendar UIDs of notices are the portal's, not the request's: the same notice has the same UID
whichever Host header (host name, proxy) the feed is fetched through, from the configured court domain
(COURTREC_PORTAL_DOMAIN); SEQUENCE rises with every change. Parsed with the ``icalendar`` package."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from pydantic import ValidationError

from archive.store.object_store import ObjectStore
from portal.settings import DEFAULT_PORTAL_DOMAIN, PortalSettings
from tests.portal.conftest import Portal, Template, open_portal

DOMAIN = "fy.court.example.gov.cn"
HOSTS = ("localhost", "portal.court.example", "10.0.0.7:8443")


def _events(portal: Portal, host: str) -> dict[str, Any]:
    """The feed's events by UID, fetched with ``host`` as the request's Host header."""
    response = portal.client().get("/notices.ics", headers={"Host": host})
    assert response.status_code == 200, response.text
    return {str(event["UID"]): event for event in Calendar.from_ical(response.content).walk("VEVENT")}


@pytest.fixture
def court_portal(
    template: Template, recording_store: ObjectStore, session_now: datetime, tmp_path: Path
) -> Any:
    with open_portal(template, recording_store, session_now, tmp_path, portal_domain=DOMAIN) as made:
        yield made


def test_a_notice_has_one_uid_whatever_host_it_is_fetched_through(court_portal: Portal) -> None:
    expected = f"notice-{court_portal.world.notice_a}@{DOMAIN}"
    for host in HOSTS:
        assert set(_events(court_portal, host)) == {expected}, host


def test_the_default_domain_is_fixed_not_the_host(portal: Portal) -> None:
    expected = f"notice-{portal.world.notice_a}@{DEFAULT_PORTAL_DOMAIN}"
    assert [set(_events(portal, host)) for host in HOSTS] == [{expected}] * len(HOSTS)


def test_every_change_raises_sequence_and_keeps_the_uid(court_portal: Portal) -> None:
    world, clerk = court_portal.world, court_portal.staff("clerk-a")
    uid = f"notice-{world.notice_a}@{DOMAIN}"
    sequences = [int(_events(court_portal, HOSTS[0])[uid]["SEQUENCE"])]
    later = court_portal.clock.now() + timedelta(days=8)
    times = {"starts_at": later.isoformat(), "expected_end_at": (later + timedelta(hours=2)).isoformat()}
    private = {"is_public": False, "non_public_reason": "涉及个人隐私"}
    changes = [
        (f"/api/hearings/{world.hearing_a}/reschedule", times),
        (f"/api/hearings/{world.hearing_a}/openness", private),
        (f"/api/hearings/{world.hearing_a}/cancel", {"reason": "原告撤诉"}),
    ]
    for (url, body), host in zip(changes, HOSTS, strict=True):
        response = clerk.post(url, body)
        assert response.status_code == 200, response.text
        events = _events(court_portal, host)
        assert set(events) == {uid}, host
        sequences.append(int(events[uid]["SEQUENCE"]))
    assert sequences == [0, 1, 2, 3]
    assert str(_events(court_portal, HOSTS[1])[uid]["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize("domain", ["", "court..example", "-court.example", "court_a.example", "a" * 64])
def test_a_domain_that_is_not_a_dns_name_is_refused(domain: str) -> None:
    with pytest.raises(ValidationError, match="portal_domain"):
        PortalSettings(portal_domain=domain)
