"""The tests' shared Jinja bytecode cache (tests/template_cache.py): apps of one display zone share
compiled templates and still render with their own filters; other zones get a cache of their own; a
changed template source is compiled anew."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2 import DictLoader

from portal.web import app as portal_app
from tests.template_cache import SHARED, install

MOMENT = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _installed() -> None:
    install()  # as tests/portal/conftest.py does (idempotent)


def test_environments_share_compiled_templates_only_within_a_zone() -> None:
    first, second = (portal_app.make_environment(ZoneInfo("Asia/Shanghai")) for _ in range(2))
    other = portal_app.make_environment(ZoneInfo("UTC"))
    assert first.bytecode_cache is SHARED["Asia/Shanghai"] is second.bytecode_cache
    assert other.bytecode_cache is SHARED["UTC"]


def test_cached_code_renders_with_the_environments_own_filters_and_a_changed_source_recompiles() -> None:
    templates = {"probe.html": "{{ moment | local('%H:%M') }}"}
    first = portal_app.make_environment(ZoneInfo("Asia/Shanghai"))
    first.loader = DictLoader(templates)
    cache = SHARED["Asia/Shanghai"]
    before = len(cache.code)
    assert first.get_template("probe.html").render(moment=MOMENT) == "00:30"
    assert len(cache.code) == before + 1
    again = portal_app.make_environment(ZoneInfo("Asia/Shanghai"))
    again.loader = DictLoader(templates)
    assert again.get_template("probe.html").render(moment=MOMENT) == "00:30"  # from the cached code
    assert len(cache.code) == before + 1
    utc = portal_app.make_environment(ZoneInfo("UTC"))
    utc.loader = DictLoader(templates)
    assert utc.get_template("probe.html").render(moment=MOMENT) == "16:30"
    templates["probe.html"] = "{{ moment | local('%H时') }}"
    changed = portal_app.make_environment(ZoneInfo("Asia/Shanghai"))
    changed.loader = DictLoader(templates)
    assert changed.get_template("probe.html").render(moment=MOMENT) == "00时"
