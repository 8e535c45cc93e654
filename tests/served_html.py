"""Reading a served HTML document as a browser's parser does, and organizer text chosen to break it: used by
the unit tests of the event page's head (tests/services/test_sharing.py) and by the browser tests."""
from __future__ import annotations

from html.parser import HTMLParser

# Organizer text that must stay text in every place the served HTML carries it: comment and script openers
# (which, unescaped inside the JSON-LD <script>, swallowed the app's own scripts), attribute breakouts,
# entities, CDATA ends, Cyrillic, and backslashes (which a regex replacement would read as group references).
HOSTILE_ORG = '"><img src=x onerror=alert(1)> </script><!--<script> Клуб «Ёж» & Co \\1'
HOSTILE_TITLE = ('Hostile <!--<script> </script><script>alert(1)</script> "><img src=x onerror=alert(1)> '
                 '&amp; \' " ]]> <!-- Ёлка AC\\DC \\1 \\g<0>')
HOSTILE_VENUE = '</script><script>alert(1)</script> ]]> Дом &amp; <!--'
HOSTILE_CITY = '<!--<script> Казань'
HOSTILE_TICKET = '<!--<script> Билет "VIP" &amp; \' ]]>'
HOSTILE_DESCRIPTION = 'Приходите! <!--<script> & "друзья" ]]> `</script>`'


class Document(HTMLParser):
    """Every start tag with its decoded attributes, and the decoded text of <title> and of each <script>."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.titles: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self._open: tuple[str, dict, list[str]] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("title", "script"):
            self._open = (tag, dict(attrs), [])

    def handle_data(self, data):
        if self._open:
            self._open[2].append(data)

    def handle_endtag(self, tag):
        if self._open and self._open[0] == tag:
            text = "".join(self._open[2])
            self.titles.append(text) if tag == "title" else self.scripts.append((self._open[1], text))
            self._open = None

    def head_values(self) -> dict[str, list[str]]:
        """meta property/name -> its content values; "canonical" -> the canonical link's href."""
        out: dict[str, list[str]] = {}
        for tag, attrs in self.tags:
            if tag == "meta" and ("property" in attrs or "name" in attrs):
                assert set(attrs) <= {"property", "name", "content"}, attrs  # nothing broke out of a value
                out.setdefault(attrs.get("property") or attrs["name"], []).append(attrs["content"])
            elif tag == "link" and attrs.get("rel") == "canonical":
                assert set(attrs) == {"rel", "href"}, attrs
                out.setdefault("canonical", []).append(attrs["href"])
        return out

    def broken_scripts(self) -> list[str]:
        """Script contents a browser would not end where html.parser does: with "<!--" and "<script" in them it
        reads past "</script>" and swallows what follows (the HTML spec's restrictions for script content)."""
        return [text for _attrs, text in self.scripts
                if "<!--" in text or "<script" in text.lower() or "</script" in text.lower()]
