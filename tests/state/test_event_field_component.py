"""components/event_fields.py draws any declared event field as a labelled input with the declared limits."""
import reflex as rx

from aqstream.components.event_fields import event_field
from aqstream.i18n import catalogue
from aqstream.services.events import fields


class _Form(rx.State):
    errors: dict[str, str] = {}


def test_each_declared_field_renders_with_its_label_and_limits():
    for f in fields.FIELDS:
        js = str(event_field(f.name, _Form.errors, f.kind == fields.BOOL or ""))
        # T() puts a key's texts (both languages) into the page, not the key
        assert catalogue("en")[f.label_key] in js and catalogue("ru")[f.label_key] in js, f.name
        if f.hint_key and f.kind != fields.BOOL:
            assert catalogue("en")[f.hint_key] in js, f.name
        attrs = fields.form_attrs(f.name)
        if "max_length" in attrs:
            assert f"maxLength:{attrs['max_length']}" in js, f.name
        if f.kind == fields.INT:
            assert f"min:{f.low}" in js and f"max:{f.high}" in js, f.name
    assert 'type:"datetime-local"' in str(event_field("starts_at", _Form.errors))
    assert catalogue("en")["tz.search_label"] in str(event_field("time_zone", _Form.errors, "UTC"))
