"""Server-rendered pages: the Jinja2 environment (autoescaped) and the render helper."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from archive.formats.stream_labels import stream_label

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_WEEKDAYS = "一二三四五六日"


def make_environment(zone: ZoneInfo) -> Environment:
    """The template environment; ``local`` formats a UTC time in the court's zone, ``stream_label``
    names a recorded stream as people do."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]), auto_reload=False
    )

    def local(moment: datetime | None, pattern: str = "%Y年%m月%d日 %H:%M") -> str:
        if moment is None:
            return ""
        return moment.astimezone(zone).strftime(pattern)

    def weekday(moment: datetime) -> str:
        return f"星期{_WEEKDAYS[moment.astimezone(zone).weekday()]}"

    def minutes(seconds: float) -> str:
        whole = round(seconds)
        return f"{whole // 60}分{whole % 60:02d}秒"

    environment.filters["local"] = local
    environment.filters["minutes"] = minutes
    environment.filters["weekday"] = weekday
    environment.filters["stream_label"] = stream_label  # judge-cam → 审判席摄像机
    return environment


def render(
    request: Request,
    name: str,
    values: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render template ``name`` with ``values`` plus ``principal`` (the caller, if known)."""
    environment: Environment = request.app.state.templates
    values = {"principal": getattr(request.state, "principal", None), **values}
    body = environment.get_template(name).render(values)
    return HTMLResponse(body, status_code=status, headers=headers)
