"""Text written into served HTML stays text: JSON for a <script> element holds no "<", ">" or "&" and parses back
to the same data, attribute values and the <title> decode to exactly what was given, and no other module of the
app writes these tags itself (so the escaping cannot be bypassed by a new page)."""
import ast
import json
from pathlib import Path

import pytest

from aqstream.services import html_safe
from tests.served_html import HOSTILE_ORG, HOSTILE_TICKET, HOSTILE_TITLE, HOSTILE_VENUE, Document

HOSTILE = [HOSTILE_TITLE, HOSTILE_ORG, HOSTILE_VENUE, HOSTILE_TICKET, "<!--<script>", "</script><script>alert(1)</script>",
           '"><img src=x onerror=alert(1)>', "&amp; ' \"", "]]>", "<!--", "line\u2028separator\u2029end", "Ёлка",
           "a\\1\\g<0>", "tab\tnew\nline"]


def test_json_for_html_has_no_markup_characters_and_parses_back():
    data = {"@type": "Event", "name": HOSTILE_TITLE, "offers": [{"name": s, "price": "1.00"} for s in HOSTILE],
            "n": 3, "ok": True, "none": None, "<key & />": ["<", ">", "&"]}
    text = html_safe.json_for_html(data)
    for ch in "<>&\u2028\u2029":
        assert ch not in text
    assert json.loads(text) == data
    assert "Ёлка" in text  # non-ASCII text is left readable
    assert "\\u003c!--\\u003cscript\\u003e" in text


def test_a_json_script_stays_one_element_in_a_document():
    data = {"name": value for value in HOSTILE} | {"all": HOSTILE}
    page = f"<html><head>{html_safe.json_script(data)}<script>window.app = 1</script></head><body></body></html>"
    doc = Document(page)
    assert doc.broken_scripts() == []
    (ld_attrs, ld_text), (app_attrs, app_text) = doc.scripts
    assert ld_attrs == {"type": "application/ld+json"} and json.loads(ld_text) == data
    assert app_attrs == {} and app_text == "window.app = 1"
    with pytest.raises(ValueError):
        html_safe.json_script(data, type_="text/javascript")


@pytest.mark.parametrize("value", HOSTILE)
def test_attribute_values_and_the_title_decode_to_the_exact_text(value):
    page = "<html><head><title>App</title></head><body></body></html>"
    tags = [html_safe.tag("meta", property="og:title", content=value), html_safe.tag("link", rel="canonical", href=value)]
    doc = Document(html_safe.with_head(page, value, tags))
    assert doc.titles == [value]
    head = doc.head_values()
    assert head == {"og:title": [value], "canonical": [value]}
    assert [tag for tag, _attrs in doc.tags] == ["html", "head", "title", "meta", "link", "body"]


def test_the_title_is_replaced_once_or_added_and_backslashes_stay_text():
    page = "<html><head><meta charset='utf-8'><TITLE>Old</TITLE></head><body><p>&lt;/head&gt;</p></body></html>"
    out = html_safe.with_head(page, "C:\\new \\1 \\g<0>", [html_safe.tag("meta", name="description", content="d")])
    assert out.count("<title>") == 1 and "Old" not in out
    assert Document(out).titles == ["C:\\new \\1 \\g<0>"]
    assert out.index('<meta name="description"') < out.index("</head>") < out.index("<body>")
    bare = html_safe.with_head("<html><head></head><body></body></html>", "T & <b>", [])
    assert bare == "<html><head><title>T &amp; &lt;b&gt;</title></head><body></body></html>"


def test_tag_names_and_attribute_names_are_checked():
    assert html_safe.tag("meta", http_equiv="x") == '<meta http-equiv="x">'
    for bad in (lambda: html_safe.tag("script", src="x"), lambda: html_safe.tag("meta onload", content="x"),
                lambda: html_safe.tag("meta", **{'a" onload="x': "y"})):
        with pytest.raises(ValueError):
            bad()


def _tag_literals(path: Path) -> list[str]:
    """String literals (not docstrings) in a module that write an HTML head or script tag."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            lowered = node.value.lower()
            if any(f"<{name}" in lowered for name in ("script", "meta", "link", "title", "style", "base")):
                found.append(f"{path}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_only_html_safe_writes_tags_into_served_html():
    """A new place that writes organizer text into served HTML must go through html_safe (emails have their own
    escaping building blocks, in email_templates)."""
    root = Path(html_safe.__file__).resolve().parents[1]
    allowed = {root / "services" / "html_safe.py", root / "services" / "notify" / "email_templates" / "__init__.py"}
    found = [hit for path in sorted(root.rglob("*.py")) if path not in allowed for hit in _tag_literals(path)]
    assert found == []
