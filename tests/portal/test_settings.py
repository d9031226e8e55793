"""The portal's settings: secrets are checked consistently (32+ characters, not low-entropy) outside
development, and the OpenAPI schema and docs are served only when enabled."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from portal.errors import ConfigurationError
from portal.settings import PortalSettings
from portal.web.app import create_app

STRONG = "Zq8-vN2kP_x7LmR4tY9wB3cJ6hF0sD1g"  # 32 characters


def _settings(tmp_path: Path, **values: object) -> PortalSettings:
    base: dict[str, object] = {
        "environment": "production",
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "portal_secret_key": STRONG,
    }
    return PortalSettings.model_validate(base | values)


@pytest.mark.parametrize(
    "weak",
    [
        "a" * 40,  # one character
        "abcdefgh" * 5,  # a repeated pattern
        "0123456789" * 4,  # ten distinct characters, repeated
        "Zq8-vN2kP_x7LmR4tY9wB3cJ6hF0s",  # 29 characters: the message says 32, so must the check
        "changethis",
    ],
)
def test_weak_secrets_are_refused_outside_development(tmp_path: Path, weak: str) -> None:
    for name in ("portal_secret_key", "portal_agent_token"):
        settings = _settings(tmp_path, **{name: weak})
        with pytest.raises(ConfigurationError, match="32"):
            settings.check()


def test_a_strong_secret_is_accepted_and_development_is_lenient(tmp_path: Path) -> None:
    _settings(tmp_path, portal_agent_token=STRONG[::-1]).check()
    _settings(tmp_path, environment="development", portal_secret_key="dev").check()


def test_openapi_and_docs_are_off_unless_enabled(tmp_path: Path) -> None:
    for enabled, expected in ((None, 404), (False, 404), (True, 200)):
        values = {} if enabled is None else {"portal_openapi": enabled}
        app = create_app(_settings(tmp_path, **values))
        with TestClient(app, base_url="https://testserver") as client:
            assert client.get("/openapi.json").status_code == expected
            assert client.get("/docs").status_code == expected
        app.state.portal.engine.dispose()
