"""Share FastAPI's per-app route build between the apps that tests create.

FastAPI (0.16x) builds each included route's request handler lazily, on an app's first request:
``get_dependant`` analyses every endpoint's parameters and pydantic builds a validator per parameter
and response model. For the portal (about 140 routes, the live app mounted) that is 1-3 CPU-seconds
per app — and the portal tests create a new app per test (a fresh database, clock and settings), so
it was most of a typical test's time.

The routers are module-level objects (``router = APIRouter()`` in each resource module), included by
every app with the same include context, so every app builds the very same handlers. This cache keeps
the first build of each (route, include context) and hands it to later apps. The handler reads
everything app-specific (settings, database, clock) from ``request.app`` at request time; the one
thing the build binds is the app whose ``dependency_overrides`` it consults, so an app that has any
overrides is always built afresh (none of our tests use them).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import routing

_Built = tuple[Any, Any, Any]  # (original route, include context without its app, the built context)
_built: dict[int, list[_Built]] = {}
# None when FastAPI no longer builds routes this way: then nothing is cached (tests are only slower).
_route_contexts: Any = getattr(routing, "_EffectiveRouteContext", None)
_original: Any = None if _route_contexts is None else _route_contexts.__dict__.get("from_api_route")


def _without_app(include_context: Any) -> Any:
    return dataclasses.replace(include_context, dependency_overrides_provider=None)


def _has_overrides(include_context: Any) -> bool:
    provider = include_context.dependency_overrides_provider
    return bool(getattr(provider, "dependency_overrides", None))


def _from_api_route(cls: Any, *, original_route: Any, include_context: Any) -> Any:
    if _has_overrides(include_context):
        return _original.__func__(cls, original_route=original_route, include_context=include_context)
    key = _without_app(include_context)
    entries = _built.setdefault(id(original_route), [])
    for route, context_key, built in entries:
        if route is original_route and context_key == key:
            return built
    built = _original.__func__(cls, original_route=original_route, include_context=include_context)
    entries.append((original_route, key, built))
    return built


def install() -> bool:
    """Route every app's route build through the cache (once per process); False where this FastAPI
    has no such build to share."""
    if not isinstance(_original, classmethod):
        return False
    if _route_contexts.__dict__["from_api_route"] is _original:
        _route_contexts.from_api_route = classmethod(_from_api_route)
    return True
