"""Draws the door scanner's icons (aqstream/scanner/icon.svg, icon-192.png, icon-512.png) with Pillow: an indigo
square (safe for maskable icons) with a QR code's three corner marks and a tick. Run once after changing them:
`python scripts/scanner_icons.py`."""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "aqstream" / "scanner"
INDIGO, WHITE, GREEN = "#3e63dd", "#ffffff", "#2bd17e"
# On a 100-unit square: corner marks (x, y) of 22 units, inside the maskable safe zone (the middle 80%).
MARKS = [(22, 22), (56, 22), (22, 56)]
TICK = [(58, 66), (66, 74), (80, 58)]


def svg() -> str:
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">',
             f'<rect width="100" height="100" fill="{INDIGO}"/>']
    for x, y in MARKS:
        parts.append(f'<rect x="{x}" y="{y}" width="22" height="22" rx="3" fill="{WHITE}"/>')
        parts.append(f'<rect x="{x + 4}" y="{y + 4}" width="14" height="14" rx="2" fill="{INDIGO}"/>')
        parts.append(f'<rect x="{x + 7}" y="{y + 7}" width="8" height="8" rx="1" fill="{WHITE}"/>')
    points = " ".join(f"{x},{y}" for x, y in TICK)
    parts.append(f'<polyline points="{points}" fill="none" stroke="{GREEN}" stroke-width="7" '
                 'stroke-linecap="round" stroke-linejoin="round"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def png(size: int) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    unit = big / 100
    image = Image.new("RGB", (big, big), INDIGO)
    draw = ImageDraw.Draw(image)

    def box(x, y, w, r, fill):
        draw.rounded_rectangle([x * unit, y * unit, (x + w) * unit, (y + w) * unit], radius=r * unit, fill=fill)

    for x, y in MARKS:
        box(x, y, 22, 3, WHITE)
        box(x + 4, y + 4, 14, 2, INDIGO)
        box(x + 7, y + 7, 8, 1, WHITE)
    width = round(7 * unit)
    points = [(x * unit, y * unit) for x, y in TICK]
    draw.line(points, fill=GREEN, width=width, joint="curve")
    for x, y in (points[0], points[-1]):
        draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=GREEN)
    return image.resize((size, size), Image.LANCZOS)


if __name__ == "__main__":
    (OUT / "icon.svg").write_text(svg(), encoding="utf-8")
    for size in (192, 512):
        png(size).save(OUT / f"icon-{size}.png", optimize=True)
