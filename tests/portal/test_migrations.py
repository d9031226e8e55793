"""Migration 0003 (court isolation) up and down on SQLite and PostgreSQL, with rows in the tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from portal.db import Base, make_engine
from portal.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.portal.pg_cluster import PgCluster

NOW = "2026-03-01 01:00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        name = f"m_{uuid.uuid4().hex[:16]}"
        admin = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        url = f"{cluster.url}/{name}"
    made = make_engine(url)
    yield made
    made.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _seed_at_0002(engine: Engine) -> None:
    """Two courts; case 1 (court A, code 'x'), case 2 (court B); a hearing and party of each case;
    recordings: 'own' (court A, case 1), 'taken' (court A's, linked to court B's case 2), 'lost'
    (unknown court), and a review request of 'taken'."""
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO courts (id, code, name) VALUES (1, 'court-a', 'A'), (2, 'court-b', 'B')")
        )
        db.execute(text("INSERT INTO courtrooms (id, court_id, code, name) VALUES (1, 1, 'room-a', 'A1')"))
        db.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, password_hash, disabled, created_at)"
                " VALUES (1, 'clerk', 'clerk', 'clerk', 'x', false, :now)"
            ),
            {"now": NOW},
        )
        for case_id, court_id, code in ((1, 1, "x"), (2, 2, None)):
            db.execute(
                text(
                    "INSERT INTO cases (id, number, agent_code, court_id, name, cause, filing_date, panel,"
                    " created_at) VALUES (:id, :number, :code, :court, 'n', 'c', '2026-01-01', '', :now)"
                ),
                {
                    "id": case_id,
                    "number": f"（2026）京010{case_id}民初1号",
                    "code": code,
                    "court": court_id,
                    "now": NOW,
                },
            )
            db.execute(
                text(
                    "INSERT INTO parties (id, case_id, name, role, access_password_hash, password_set_at)"
                    " VALUES (:id, :id, 'p', '原告', 'x', :now)"
                ),
                {"id": case_id, "now": NOW},
            )
            db.execute(
                text(
                    "INSERT INTO hearings (id, case_id, courtroom_id, starts_at, expected_end_at, is_public,"
                    " status, created_by, created_at) VALUES (:id, :id, 1, :now, :now, true, 'scheduled',"
                    " 1, :now)"
                ),
                {"id": case_id, "now": NOW},
            )
        for recording_id, court, case_id in (
            ("own", "court-a", 1),
            ("taken", "court-a", 2),
            ("lost", "zz", None),
        ):
            db.execute(
                text(
                    "INSERT INTO recordings (id, court_code, room, journaled_case, case_id, prefix, streams,"
                    " segment_count, duration_seconds, complete, in_bucket, verification,"
                    " verification_problems) VALUES (:id, :court, 'room-a', 'x', :case, '', '[]', 0, 0,"
                    " false, false, 'unverified', '')"
                ),
                {"id": recording_id, "court": court, "case": case_id},
            )
        db.execute(
            text(
                "INSERT INTO review_requests (id, party_id, recording_id, purpose, status, created_at)"
                " VALUES (1, 2, 'taken', 'p', 'pending', :now)"
            ),
            {"now": NOW},
        )


def _add_case(engine: Engine, case_id: int, court_id: int, code: str) -> None:
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO cases (id, number, agent_code, court_id, name, cause, filing_date, panel,"
                " created_at) VALUES (:id, :number, :code, :court, 'n', 'c', '2026-01-01', '', :now)"
            ),
            {
                "id": case_id,
                "number": f"（2026）京0109民初{case_id}号",
                "code": code,
                "court": court_id,
                "now": NOW,
            },
        )


def test_migration_0003_up_and_down(engine: Engine) -> None:
    upgrade(engine, "0002")
    _seed_at_0002(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        rows = connection.execute(
            text("SELECT id, court_id, case_id, link_alarm FROM recordings ORDER BY id")
        )
        assert [tuple(r) for r in rows] == [
            ("lost", None, None, "unknown_court"),
            ("own", 1, 1, None),
            ("taken", 1, 2, "cross_court_link"),  # flagged for a person, not moved
        ]
        assert connection.execute(text("SELECT COUNT(*) FROM hearings")).scalar() == 2
        assert connection.execute(text("SELECT COUNT(*) FROM review_requests")).scalar() == 1
    _add_case(engine, 3, 2, "x")  # court B may use court A's code now
    with pytest.raises(IntegrityError):
        _add_case(engine, 4, 1, "x")  # but not court A twice
    with pytest.raises(IntegrityError), engine.begin() as db:  # foreign keys still hold
        db.execute(text("UPDATE recordings SET case_id = 99 WHERE id = 'own'"))

    with pytest.raises(RuntimeError, match="share the agent codes"):
        _downgrade(engine, "0002")
    with engine.begin() as db:
        db.execute(text("UPDATE cases SET agent_code = 'y' WHERE id = 3"))
    _downgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM recordings")).scalar() == 3
        assert connection.execute(text("SELECT COUNT(*) FROM review_requests")).scalar() == 1
    with pytest.raises(IntegrityError):
        _add_case(engine, 5, 2, "x")  # unique across courts again
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_migration_0005_device_trust_up_and_down(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO device_keys (public_key, device_id, status, first_seen_at, last_seen_at)"
                " VALUES ('k1', 'dev-1', 'seen', :now, :now)"
            ),
            {"now": NOW},
        )
        anchor = (
            "INSERT INTO checkpoint_anchors (recording_id, seq, prev, tree_size, root, public_key,"
            " signature, line_sha256, written_at, received_at)"
            " VALUES ('rec', 5, 'p', 2, 'r', 'k1', 's', :digest, 'w', :now)"
        )
        db.execute(text(anchor), {"now": NOW, "digest": "d1"})
    with pytest.raises(IntegrityError), engine.begin() as db:  # the same head is kept once
        db.execute(text(anchor), {"now": NOW, "digest": "d1"})
    with engine.begin() as db:  # a different line at the same seq is kept too (it is evidence of a fork)
        db.execute(text(anchor), {"now": NOW, "digest": "d2"})
    _downgrade(engine, "0004")
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert "device_keys" not in tables and "checkpoint_anchors" not in tables
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_migration_0008_device_fleet_up_and_down(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as db:
        db.execute(text("INSERT INTO courts (id, code, name) VALUES (1, 'court-a', 'A')"))
        db.execute(
            text(
                "INSERT INTO fleet_devices (device_id, court_id, officer, created_at, agent_version,"
                " recording_state) VALUES ('cam-1', 1, '', :now, '', '')"
            ),
            {"now": NOW},
        )
    with pytest.raises(IntegrityError), engine.begin() as db:  # a command names a registered device
        db.execute(
            text(
                "INSERT INTO device_commands (id, device_id, action, requested_by, requested_at, detail)"
                " VALUES ('c1', 'cam-9', 'activate', 'x', :now, '')"
            ),
            {"now": NOW},
        )
    _downgrade(engine, "0007")
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert not tables & {"fleet_devices", "device_commands", "enforcement_actions", "enrolment_codes"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_migration_0007_agent_alarms_up_and_down(engine: Engine) -> None:
    upgrade(engine, "0006")
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO recordings (id, court_code, room, journaled_case, prefix, streams,"
                " segment_count, duration_seconds, complete, in_bucket, verification,"
                " verification_problems, link_alarm_detail)"
                " VALUES ('old', 'c', 'r', '', '', '[]', 0, 0, false, false, 'unverified', '', '')"
            )
        )
    upgrade(engine, "0007")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT agent_alarms FROM recordings")).scalar() == "[]"
    _downgrade(engine, "0006")
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("recordings")}
        assert "agent_alarms" not in columns
        assert connection.execute(text("SELECT COUNT(*) FROM recordings")).scalar() == 1
    upgrade(engine)
    assert current_revision(engine) == head_revision()
