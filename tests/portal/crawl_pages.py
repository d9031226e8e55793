"""What the crawl reads from a page's HTML without a browser: its ``lang``, its links, the text a person
sees (body text nodes outside script/style/noscript/template and outside ``hidden`` elements, and the
placeholders of fields), and whether it has scripts (a page that fills itself in is read in Chromium).

Without CSS the text of elements hidden by a style sheet counts too: stricter than the browser's check."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_UNSEEN = {"script", "style", "noscript", "template", "head", "title"}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
}  # fmt: skip


@dataclass
class PageHtml:
    lang: str | None = None
    links: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    scripted: bool = False


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = PageHtml()
        self._open: list[tuple[str, bool]] = []  # (tag, unseen from here down)

    def _unseen(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "html":
            self.page.lang = named.get("lang")
        if tag == "script":
            self.page.scripted = True
        if tag == "a" and named.get("href"):
            self.page.links.append(named["href"] or "")
        unseen = self._unseen() or tag in _UNSEEN or "hidden" in named
        field_shown = tag in {"input", "textarea"} and named.get("type") != "hidden" and not unseen
        if field_shown and named.get("placeholder"):
            self.page.texts.append(named["placeholder"] or "")
        if tag not in _VOID:
            self._open.append((tag, unseen))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if text and self._open and not self._unseen():
            self.page.texts.append(text)


def read_page(html: str) -> PageHtml:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page
