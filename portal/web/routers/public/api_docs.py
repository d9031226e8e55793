"""The API's interactive documentation (Swagger UI from the npm install, served by the portal itself).

FastAPI's own ``/docs`` page loads Swagger UI from a public CDN and starts it with an inline script;
the portal's CSP allows neither. This page takes the same assets from ``node_modules`` (installed by
``make setup``) and starts them from a small script of ours. Served only where the schema is served
(``COURTREC_PORTAL_OPENAPI``; by default in development only).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from portal.errors import NotFoundError

router = APIRouter(include_in_schema=False)

SWAGGER_DIR = Path(__file__).resolve().parents[4] / "node_modules" / "swagger-ui-dist"
STATIC_DIR = Path(__file__).resolve().parents[3] / "static"
_ASSETS = {
    "swagger-ui-bundle.js": (SWAGGER_DIR, "text/javascript; charset=utf-8"),
    "swagger-ui.css": (SWAGGER_DIR, "text/css; charset=utf-8"),
    "api-docs.js": (STATIC_DIR, "text/javascript; charset=utf-8"),
}
_CACHE = {"Cache-Control": "public, max-age=3600"}

DOCS_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>接口文档 · 法院公开平台</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<main id="swagger-ui" data-schema-url="/openapi.json"></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI for ``/openapi.json``."""
    return HTMLResponse(DOCS_PAGE)


@router.get("/docs/assets/{name}")
def api_docs_asset(name: str) -> FileResponse:
    """Swagger UI's bundle and stylesheet (from npm) and the script that starts it."""
    if name not in _ASSETS:
        raise NotFoundError("no such file")
    folder, media_type = _ASSETS[name]
    path = folder / name
    if not path.is_file():
        raise NotFoundError("Swagger UI is not installed: run `make setup` (npm ci)")
    return FileResponse(path, media_type=media_type, headers=_CACHE)
