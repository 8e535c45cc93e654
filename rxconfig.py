"""Reflex configuration. The database and secrets come from aqstream.config, not from here."""
import reflex as rx

from aqstream import config as settings

PORT = settings.port()
# The address people open; the page's websocket goes there too, so the session cookie travels with it.
BASE_URL = settings.public_base_url()
FRONTEND = {} if settings.backend_only() else {"frontend_port": PORT}

config = rx.Config(
    app_name="aqstream",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    backend_port=PORT,
    **FRONTEND,
    api_url=BASE_URL,
    deploy_url=BASE_URL,
    # Redis makes several backend workers share page state; without it, one in-process worker.
    redis_url=settings.redis_url(),
    # Scripts and styles are compressed once at build time and served as sidecar files: Brotli (about a fifth
    # smaller than gzip for this JavaScript) to browsers that accept it, gzip to the rest.
    frontend_compression_formats=["brotli", "gzip"],
    disable_plugins=[rx.plugins.sitemap.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
)
