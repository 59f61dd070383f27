"""HTML to clean plain text, and what an HTML page says about its feeds."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")

_BLOCK_TAGS = frozenset(
    [
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "td",
        "th",
        "blockquote",
        "section",
        "article",
        "figure",
        "figcaption",
        "header",
        "footer",
        "table",
        "dd",
        "dt",
        "hr",
        "pre",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_SPACES = re.compile(r"\s+")  # Unicode-aware: also NBSP, narrow NBSP, thin and figure spaces
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def clean_text(value: str | None) -> str:
    """Plain text from feed HTML: tags dropped, entities decoded, odd spaces normalised."""
    if not value:
        return ""
    text = value
    if _TAG.search(text):
        collector = _TextCollector()
        collector.feed(text)
        collector.close()
        text = "".join(collector.parts)
    for _ in range(2):  # publishers often escape twice: "&amp;nbsp;"
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return _SPACES.sub(" ", text).strip()


class AlternateFinder(HTMLParser):
    """Collects <base href>, <title> and <link rel="alternate"> feed links of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.feeds: list[str] = []
        self.title: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        elif tag == "link":
            rels = a.get("rel", "").lower().split()
            mime = a.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rels and mime in FEED_TYPES and a.get("href"):
                self.feeds.append(a["href"].strip())
        elif tag == "title" and self.title is None:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data


def looks_like_html(body: bytes) -> bool:
    """True when the bytes are an HTML page rather than RSS/Atom/RDF XML."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return True
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return False
    return b"<html" in head or b"<body" in head or b"<head>" in head
