"""One Jinja bytecode cache for the template environments of every portal app the tests create.

Each app has its own environment (its zone's filters), which compiles every template it renders from
source: parsing and code generation were about half a CPU-second per page-rendering test. Jinja's own
bytecode cache keys each template by name and a checksum of its source, so a changed template is
compiled again. Filters and globals are looked up at render time, except where Jinja folds a filter
applied to a literal at compile time; the only filters that differ between environments are those of
the display zone, so environments share compiled code only with others of the same zone.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket

from portal.web import app as portal_app


class SharedBytecode(BytecodeCache):
    """Compiled templates in memory, for all environments of this process."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


SHARED: dict[str, SharedBytecode] = {}  # by display zone
_original: Any = portal_app.make_environment


def _make_environment(zone: ZoneInfo) -> Environment:
    environment = _original(zone)
    environment.bytecode_cache = SHARED.setdefault(zone.key, SharedBytecode())
    return environment


def install() -> None:
    """Make every portal app's template environment use the cache of its zone in SHARED."""
    portal_app.make_environment = _make_environment
