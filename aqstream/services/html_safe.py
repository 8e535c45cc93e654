"""The one place where text of organizers and attendees is written into a served HTML document (the event page's
share card and JSON-LD, see api/share.py). Callers pass plain text and data, never markup; everything is escaped
here, so a title like ``<!--<script>`` or ``"><img onerror=...>`` stays text wherever it lands.

tests/services/test_html_safe.py fails when another module of the app writes these tags itself."""
from __future__ import annotations

import html
import json
import re
from typing import Any

# In JSON these characters occur only inside strings, where \uXXXX means the same character. Escaped, the JSON
# holds no "<" at all: no "</script>", "<!--" or "<script" can end or swallow the element that carries it.
_JSON_FOR_HTML = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                "\u2028": "\\u2028", "\u2029": "\\u2029"})
_NAME = re.compile(r"[a-z][a-z0-9:-]*\Z")
_VOID = frozenset({"meta", "link"})
_TITLE = re.compile(r"<title\b[^>]*>.*?</title\s*>", re.S | re.I)


def json_for_html(data: Any) -> str:
    """`data` as JSON that can go anywhere in an HTML document: inside a <script> element (JSON-LD, a page's
    initial data), an attribute value or text. It parses back to the same data; non-ASCII text stays as is."""
    return json.dumps(data, ensure_ascii=False).translate(_JSON_FOR_HTML)


def escape(value: str) -> str:
    """Text for an HTML text node or a quoted attribute value: &, <, >, " and ' become references."""
    return html.escape(str(value), quote=True)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not an HTML tag or attribute name: {name!r}")
    return name


def tag(element: str, /, **attrs: str) -> str:
    """A void element, e.g. tag("meta", property="og:title", content=title); "_" in a keyword is "-"."""
    if _check_name(element) not in _VOID:
        raise ValueError(f"{element} is not a void element")
    pairs = "".join(f' {_check_name(key.rstrip("_").replace("_", "-"))}="{escape(value)}"'
                    for key, value in attrs.items())
    return f"<{element}{pairs}>"


def title(text: str) -> str:
    """A <title> element showing `text`."""
    return f"<title>{escape(text)}</title>"


def json_script(data: Any, type_: str = "application/ld+json") -> str:
    """A <script> element carrying `data` as JSON (it is never run: the type is a data type)."""
    if type_ in ("", "module") or "javascript" in type_:
        raise ValueError("json_script carries data, not a script to run")
    return f'<script type="{escape(type_)}">{json_for_html(data)}</script>'


def with_head(document: str, title_text: str, tags: list[str]) -> str:
    """The document with its <title> replaced by one showing `title_text` and `tags` (built above) added at the
    end of its head."""
    new_title = title(title_text)
    document, found = _TITLE.subn(lambda _match: new_title, document, count=1)  # a function: "\1" stays text
    extra = "".join(tags) if found else new_title + "".join(tags)
    return document.replace("</head>", extra + "</head>", 1)

