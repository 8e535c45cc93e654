"""Uploaded images: organization logos and event covers.

An upload is accepted only if it is small enough and really is a PNG, JPEG, WebP or GIF image (Pillow
decodes it; the file name and the browser's content type are not trusted). It is stored under the media
directory with a random name and the extension of its real type, so nothing a user sends becomes a path."""
from __future__ import annotations

import io
import secrets
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from aqstream import config
from aqstream.services.errors import NotFound, ValidationError

FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp"),
           "GIF": ("gif", "image/gif")}
CONTENT_TYPES = {ext: content_type for ext, content_type in FORMATS.values()}
MAX_PIXELS = 40_000_000  # larger images are refused before decoding them (decompression bombs)


def store_image(data: bytes, field: str) -> str:
    """Check an uploaded image and keep it; returns its stored name. Errors name `field`."""
    if not data:
        raise ValidationError({field: "media.empty"})
    limit = config.max_upload_bytes()
    if len(data) > limit:
        raise ValidationError({field: "media.too_large"}, megabytes=limit // (1024 * 1024))
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError({field: "media.too_large"}, megabytes=limit // (1024 * 1024))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({field: "media.not_an_image"}) from None
    if kind not in FORMATS:
        raise ValidationError({field: "media.not_an_image"})
    name = f"{secrets.token_urlsafe(16)}.{FORMATS[kind][0]}"
    target = config.media_dir() / name
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return name


def open_image(name: str) -> tuple[Path, str]:
    """A stored image's path and content type, for serving it. Only names this module made are served."""
    stem, _, ext = (name or "").rpartition(".")
    if ext not in CONTENT_TYPES or not stem or any(c not in _NAME_CHARS for c in stem):
        raise NotFound()
    path = config.media_dir() / name
    if not path.is_file():
        raise NotFound()
    return path, CONTENT_TYPES[ext]


def url(name: str) -> str:
    return f"/media/{name}" if name else ""


_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
