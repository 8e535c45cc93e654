"""Reflex configuration. The database and secrets come from aqstream.config, not from here."""
import os

import reflex as rx

config = rx.Config(
    app_name="aqstream",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=int(os.environ.get("AQSTREAM_PORT", "3000")),
    backend_port=int(os.environ.get("AQSTREAM_BACKEND_PORT", os.environ.get("AQSTREAM_PORT", "3000"))),
    # Redis makes several backend workers share page state; without it, one in-process worker.
    redis_url=os.environ.get("REDIS_URL") or None,
    disable_plugins=[rx.plugins.sitemap.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
