"""Issue 10, finding 7: the live server's device and operator tokens meet the same rule as the portal's
secrets (32+ characters, not a placeholder, not low-entropy)."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr, ValidationError

from streaming.settings import StreamingSettings


@pytest.mark.parametrize(
    "weak", ["changethis", "short-token-0123", "a" * 40, "0123456789" * 4, "abcdefgh" * 5]
)
def test_weak_device_and_operator_tokens_are_refused(weak: str) -> None:
    with pytest.raises(ValidationError, match="token of device 'dev-1'"):
        StreamingSettings(device_tokens={"dev-1": SecretStr(weak)})
    with pytest.raises(ValidationError, match="operator token"):
        StreamingSettings(operator_token=SecretStr(weak))


def test_generated_tokens_are_accepted() -> None:
    settings = StreamingSettings(
        device_tokens={"dev-1": SecretStr(secrets.token_urlsafe(32))},
        operator_token=SecretStr(secrets.token_urlsafe(32)),
    )
    assert settings.operator_token is not None
