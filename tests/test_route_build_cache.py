"""The shared FastAPI route build (tests/route_build_cache.py): apps built from the same routers share
it and still answer alike; an app with dependency overrides gets a build of its own, so they apply."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests import route_build_cache

router = APIRouter()


def _greeting() -> str:
    return "hello"


@router.get("/greet/{name}")
def greet(name: str, count: int = 1, greeting: str = Depends(_greeting)) -> dict[str, object]:
    return {"text": f"{greeting} {name}", "count": count}


def _app() -> FastAPI:
    app = FastAPI()
    app.include_router(router, prefix="/api")
    return app


def _built_dependant(app: FastAPI) -> object:
    """The greet route's dependant as ``app`` built it (the costly part of the build)."""
    (context,) = [c for c in iter_route_contexts(app.routes) if c.path_format == "/api/greet/{name}"]
    return context.dependant


def test_the_cache_is_installed() -> None:
    assert route_build_cache.install()


def test_apps_from_the_same_routers_share_the_build_and_validate_alike() -> None:
    first, second = _app(), _app()
    for app in (first, second):
        with TestClient(app) as client:
            answer = client.get("/api/greet/ann", params={"count": 2})
            assert answer.json() == {"text": "hello ann", "count": 2}
            assert client.get("/api/greet/ann", params={"count": "many"}).status_code == 422
    assert _built_dependant(first) is _built_dependant(second)


def test_an_app_with_dependency_overrides_gets_its_own_build() -> None:
    plain, overridden = _app(), _app()
    overridden.dependency_overrides[_greeting] = lambda: "goodbye"
    with TestClient(plain) as client:
        assert client.get("/api/greet/ann").json()["text"] == "hello ann"
    with TestClient(overridden) as client:
        assert client.get("/api/greet/ann").json()["text"] == "goodbye ann"
    assert _built_dependant(plain) is not _built_dependant(overridden)
