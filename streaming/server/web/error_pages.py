"""The live server's error pages for browsers: a short Chinese HTML page instead of JSON.

Only a browser asking for a page gets one (``Accept: text/html``) and never on the machine paths
(the operator API, WHIP/WHEP, HLS files), which keep their JSON ``{"detail": …}`` answers. The page
names what the status means in Chinese; the English detail meant for court IT stays in the log.
"""

from __future__ import annotations

from html import escape

from fastapi import Request
from fastapi.responses import HTMLResponse

_MACHINE_PREFIXES = ("/api/", "/whip/", "/whep/")
_MACHINE_SUFFIXES = (".m3u8", ".m4s", ".mp4", ".ts", ".json", ".js", ".css")
_PAGES = {
    400: ("请求有误", "请求的格式不正确。"),
    401: ("请先登录", "请值班员先登录后再访问。"),
    403: ("无权访问", "您没有访问此页面的权限。"),
    404: ("未找到", "您要找的页面或画面不存在，可能已经结束或地址有误。"),
    405: ("不支持该操作", "此页面不支持这种操作。"),
    409: ("操作冲突", "该画面当前无法进行此操作。"),
    413: ("提交的内容过大", "提交的内容超过了允许的大小。"),
    429: ("操作过于频繁", "请稍后再试。"),
    500: (
        "服务器内部错误",
        "直播服务器处理请求时出错，已记录此问题。请稍后重试；如仍不能解决，请联系法院技术人员。",
    ),
    503: ("服务暂时不可用", "直播服务暂时不可用，请稍后重试。"),
}


def wants_page(request: Request) -> bool:
    """True for a browser asking for a page on a non-machine path of the live app."""
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    inner = path[len(root) :] if root and path.startswith(root) else path
    if inner.startswith(_MACHINE_PREFIXES) or inner.endswith(_MACHINE_SUFFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int) -> HTMLResponse:
    """The Chinese page for ``status`` (the live app's stylesheet, under whatever mount it runs)."""
    title, message = _PAGES.get(status, ("出错了", "请求未能完成。"))
    stylesheet = escape(f"{request.scope.get('root_path', '')}/static/wall.css")
    body = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{stylesheet}">
</head>
<body class="login">
<main class="error-page">
<h1>{title}</h1>
<p>{message}</p>
<p class="code">错误代码 {status}</p>
</main>
</body>
</html>
"""
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
