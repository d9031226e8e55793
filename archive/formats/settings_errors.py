"""One line for a refused setting: which COURTREC_… variable, what was wrong and what is accepted.

Every entry point (``python -m capture``, ``archive``, ``streaming``, ``portal``) builds its settings
first and, when pydantic refuses one, prints this line and exits 2, instead of a traceback or
pydantic's multi-line report. Values of secret settings are never echoed.
"""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsError

SettingsT = TypeVar("SettingsT", bound=BaseSettings)

EXIT_BAD_SETTING = 2
_SECRET_NAMES = re.compile(r"token|secret|password|key", re.IGNORECASE)
_SETTINGS_ERROR_FIELD = re.compile(r'field "([A-Za-z0-9_]+)"')
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
_ECHO_LIMIT = 80


class RefusedSettingError(ValueError):
    """A setting from the environment was refused; ``str()`` is the one line to show (see below)."""


def load_settings(settings: type[SettingsT]) -> SettingsT:
    """``settings()`` read from the environment; RefusedSettingError with one line naming the first
    refused COURTREC_… variable and what it accepts."""
    try:
        return settings()
    except (ValidationError, SettingsError) as exc:
        raise RefusedSettingError(settings_error_line(exc, settings)) from exc


def settings_error_line(error: ValidationError | SettingsError, settings: type[BaseSettings]) -> str:
    """``COURTREC_NAME: what is accepted (got 'value')`` for the first refused setting of ``settings``,
    with a count of any others."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    if isinstance(error, SettingsError):  # a complex value that is not JSON
        match = _SETTINGS_ERROR_FIELD.search(str(error))
        field = match.group(1) if match else "?"
        return f"{_variable(prefix, field)}: must be JSON ({_first_line(str(error.__cause__ or error))})"
    problems = error.errors(include_url=False)
    first = problems[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    message = str(first["msg"])
    for noise in _PYDANTIC_PREFIXES:
        message = message.removeprefix(noise)
    line = f"{_variable(prefix, field)}: {message}"
    if "(got " not in message and not _SECRET_NAMES.search(field) and first["type"] != "missing":
        line += f" (got {_echo(first.get('input'))})"
    if len(problems) > 1:
        line += f"; and {len(problems) - 1} more refused setting(s)"
    return line


def _variable(prefix: str, field: str) -> str:
    return f"{prefix}{field}".upper()


def _echo(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _ECHO_LIMIT else f"{text[:_ECHO_LIMIT]}…"


def _first_line(text: str) -> str:
    return (text.strip() or "unreadable").splitlines()[0]
