"""What the live server's JSON errors say: a machine ``code``, a Chinese ``detail`` for the page that
shows it (the wall, the clerk's controls), and the English ``reason`` naming what was wrong for the
device's log and court IT. Pages for browsers are ``error_pages``."""

from __future__ import annotations

from streaming.errors import (
    FaceMaskingError,
    FeedNotFoundError,
    FeedTakenError,
    HlsError,
    InvalidNameError,
    PublishRefusedError,
    SessionLimitError,
    SessionNotFoundError,
    SignalingError,
    StreamingError,
)

# First match wins: most specific first.
ERROR_TEXTS: tuple[tuple[type[StreamingError], str, str], ...] = (
    (
        InvalidNameError,
        "invalid_name",
        "名称格式不正确：房间名和画面名只能由字母、数字、点、下划线和连字符组成",
    ),
    (SignalingError, "signaling_failed", "无法建立媒体连接：会话描述（SDP）无效或不受支持"),
    (FeedNotFoundError, "feed_not_found", "该画面不存在或已经结束"),
    (SessionNotFoundError, "session_not_found", "该连接不存在或已经结束"),
    (PublishRefusedError, "publish_refused", "该设备无权发布此画面"),
    (FeedTakenError, "feed_taken", "另一台设备正在发布此画面"),
    (SessionLimitError, "session_limit", "该设备的连接数已达上限，请先结束一个连接"),
    (FaceMaskingError, "masking_unavailable", "此处无法进行人脸遮挡，画面不会以未遮挡的方式公开"),
    (HlsError, "public_store_unavailable", "公开直播的存储暂时不可用，正在自动重试"),
)
INTERNAL = ("internal_error", "直播服务器内部错误，已记录此问题，请稍后重试")
# Starlette's own errors and the routes' HTTPExceptions, by status.
STATUS_TEXTS = {
    400: "请求的格式不正确",
    401: "请先登录（值班员登录或设备令牌）",
    403: "无权进行此操作",
    404: "未找到，可能已经结束或地址有误",
    405: "不支持这种操作",
    409: "该画面当前无法进行此操作",
    413: "提交的内容过大",
    415: "提交的内容类型不正确",
    422: "提交的数值超出允许的范围",
    429: "操作过于频繁，请稍后再试",
}


def error_text(error: Exception) -> tuple[str, str]:
    """``(code, Chinese detail)`` for ``error`` (the internal-error text for anything unknown)."""
    for error_type, code, detail in ERROR_TEXTS:
        if isinstance(error, error_type):
            return code, detail
    return INTERNAL


def status_text(status: int) -> tuple[str, str]:
    """``(code, Chinese detail)`` for an HTTP error ``status`` that carries no error of ours."""
    return f"http_{status}", STATUS_TEXTS.get(status, "请求未能完成")
