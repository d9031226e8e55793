"""The generated secret key is shared through the data directory: relay tokens cross processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.errors import ConfigurationError
from portal.secret_file import SECRET_FILE_NAME, load_or_create_secret

# one process: the development settings' key (no COURTREC_PORTAL_SECRET_KEY), then sign or open a token
_TOKENS = """
import sys
from datetime import UTC, datetime, timedelta
from portal.errors import NotFoundError
from portal.settings import PortalSettings
from portal.web.media.relay_tokens import MediaTokens
settings = PortalSettings(environment="development", data_dir=sys.argv[1])
tokens = MediaTokens(settings.secret_key(), lambda: datetime.now(UTC))
if sys.argv[2] == "sign":
    print(tokens.url("rec/cam/seg-1.m4s", timedelta(minutes=2)).rsplit("/", 1)[-1])
else:
    try:
        print(tokens.key_of(sys.argv[3]))
    except NotFoundError:
        print("refused")
"""


def _processes(*argvs: list[str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTREC_")}
    started = [
        subprocess.Popen([sys.executable, "-c", _TOKENS, *argv], env=env, stdout=subprocess.PIPE, text=True)
        for argv in argvs
    ]
    return [process.communicate(timeout=60)[0].strip() for process in started]


def test_processes_on_one_data_dir_share_the_key_and_others_refuse_its_tokens(tmp_path: Path) -> None:
    shared, other = tmp_path / "shared", tmp_path / "other"
    # two processes start together on a fresh directory: both must end with the same key
    first, second = _processes([str(shared), "sign"], [str(shared), "sign"])
    assert (shared / SECRET_FILE_NAME).stat().st_mode & 0o777 == 0o600
    assert _processes(
        [str(shared), "open", first], [str(shared), "open", second], [str(other), "open", first]
    ) == ["rec/cam/seg-1.m4s", "rec/cam/seg-1.m4s", "refused"]


def test_a_configured_key_wins_over_the_file(tmp_path: Path) -> None:
    from portal.settings import PortalSettings  # noqa: PLC0415

    settings = PortalSettings(environment="development", data_dir=tmp_path, portal_secret_key="configured")
    assert settings.secret_key() == "configured"
    assert not (tmp_path / SECRET_FILE_NAME).exists()


def test_a_key_file_readable_by_others_or_empty_is_refused(tmp_path: Path) -> None:
    path = tmp_path / SECRET_FILE_NAME
    key = load_or_create_secret(path)
    assert load_or_create_secret(path) == key
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="0600"):
        load_or_create_secret(path)
    path.write_text("")
    path.chmod(0o600)
    with pytest.raises(ConfigurationError, match="no usable key"):
        load_or_create_secret(path)
