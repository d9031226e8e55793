"""The audit log is append-only and hash-chained; `python -m portal audit verify` catches an edited,
deleted or reordered record (and a cut tail against a head noted earlier)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.audit.trail import verify_chain
from tests.portal.conftest import Portal
from tests.portal.world import CASE_A


def _activity(portal: Portal) -> None:
    party = portal.party(CASE_A, portal.world.password_a)
    party.get("/api/my-case")
    portal.client().post("/api/session/staff", json={"identifier": "clerk-a", "password": "wrong-password"})


def _tamper(portal: Portal, statements: list[str]) -> None:
    """Bypass the append-only triggers, as a database owner could, and run ``statements``."""
    with portal.app.state.portal.engine.begin() as connection:
        if portal.backend == "postgresql":
            connection.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_records_no_update"))
            connection.execute(text("DROP TRIGGER audit_records_no_delete"))
        for statement in statements:
            connection.execute(text(statement))


def _verify(portal: Portal, head: tuple[int, str] | None = None) -> list[str]:
    with portal.db_factory() as db:
        return verify_chain(db, expected_head=head).problems


def test_chain_is_intact_after_activity(portal: Portal) -> None:
    _activity(portal)
    with portal.db_factory() as db:
        report = verify_chain(db)
    assert report.intact and report.records >= 14


def test_the_database_refuses_update_and_delete(portal: Portal) -> None:
    for statement in [
        "UPDATE audit_records SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_records WHERE seq = 1",
    ]:
        with (
            pytest.raises(DBAPIError, match="append-only"),
            portal.app.state.portal.engine.begin() as connection,
        ):
            connection.execute(text(statement))


def test_an_edited_record_is_detected(portal: Portal) -> None:
    _tamper(portal, ["UPDATE audit_records SET target = 'case:999' WHERE seq = 3"])
    problems = _verify(portal)
    assert problems == ["record 3: content does not match its hash (edited)"]


def test_a_deleted_record_is_detected(portal: Portal) -> None:
    _tamper(portal, ["DELETE FROM audit_records WHERE seq = 4"])
    problems = _verify(portal)
    assert any("record 5" in p and "deleted" in p for p in problems)


def test_reordered_records_are_detected(portal: Portal) -> None:
    _tamper(
        portal,
        [
            "UPDATE audit_records SET seq = -1 WHERE seq = 2",
            "UPDATE audit_records SET seq = 2 WHERE seq = 3",
            "UPDATE audit_records SET seq = 3 WHERE seq = -1",
        ],
    )
    problems = _verify(portal)
    assert any(p.startswith("record 2:") for p in problems) and any(
        p.startswith("record 3:") for p in problems
    )


def test_a_cut_tail_is_detected_against_a_noted_head(portal: Portal) -> None:
    with portal.db_factory() as db:
        head = verify_chain(db)
    _tamper(portal, [f"DELETE FROM audit_records WHERE seq = {head.head_seq}"])
    assert _verify(portal) == []  # a chain alone cannot see its own tail cut …
    problems = _verify(portal, (head.head_seq, head.head_hash))
    assert any("deleted from the end" in p for p in problems)  # … the head kept elsewhere can
