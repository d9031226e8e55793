"""The text a person sees on a page: text nodes outside script/style, without attributes (tooltips
and hrefs are for court IT and machines)."""

from __future__ import annotations

from html.parser import HTMLParser

_HIDDEN = {"script", "style", "template", "noscript"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    """The page's visible text nodes, one per line."""
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)
