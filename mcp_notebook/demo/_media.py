"""Pictures and sound for the demo server, in pure Python (no plotting library needed).

``scatter_svg`` draws a labelled scatter plot, ``heatmap_png`` a 2-D density as a PNG,
``tone_wav`` a sine tone as a WAV file. Deterministic: the same input gives the same bytes.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib
from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["PALETTE", "heatmap_png", "scatter_svg", "tone_wav"]

PALETTE = ["#e6862c", "#8e44ad", "#16a085", "#2c7fb8", "#c0392b", "#7f8c8d"]


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = hi - lo or 1.0
    raw = span / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if raw <= step * mult:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def scatter_svg(
    points: Sequence[tuple[float, float, str]],
    x_label: str,
    y_label: str,
    title: str,
    width: int = 640,
    height: int = 420,
) -> bytes:
    """A scatter plot of ``(x, y, group)`` points, one colour per group, with axes and legend."""
    left, right, top, bottom = 64, 140, 40, 52
    xs = [p[0] for p in points] or [0.0, 1.0]
    ys = [p[1] for p in points] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    pad_x, pad_y = (x1 - x0) * 0.05 or 1, (y1 - y0) * 0.05 or 1
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y - y0) / (y1 - y0) * plot_h

    groups = list(dict.fromkeys(p[2] for p in points))
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left + plot_w / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>',
    ]
    for t in _ticks(x0, x1):
        out.append(
            f'<line x1="{sx(t):.1f}" y1="{top + plot_h}" x2="{sx(t):.1f}" y2="{top + plot_h + 5}" stroke="#888"/>'
        )
        out.append(f'<text x="{sx(t):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{t:g}</text>')
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{left - 5}" y1="{sy(t):.1f}" x2="{left}" y2="{sy(t):.1f}" stroke="#888"/>')
        out.append(f'<text x="{left - 8}" y="{sy(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(
        f'<text x="16" y="{top + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + plot_h / 2})">{escape(y_label)}</text>'
    )
    for x, y, g in points:
        out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour[g]}" fill-opacity="0.75"/>')
    for i, g in enumerate(groups):
        ly = top + 10 + i * 20
        out.append(f'<circle cx="{width - right + 20}" cy="{ly}" r="5" fill="{colour[g]}"/>')
        out.append(f'<text x="{width - right + 32}" y="{ly + 4}">{escape(g)}</text>')
    out.append("</svg>")
    return "\n".join(out).encode()


def _viridis(t: float) -> tuple[int, int, int]:
    # Five stops of the viridis colour map, linearly interpolated: enough for a density picture.
    stops = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    t = min(max(t, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    f = t - i
    a, b = stops[i], stops[i + 1]
    return tuple(round(a[k] + (b[k] - a[k]) * f) for k in range(3))  # type: ignore[return-value]


def heatmap_png(points: Sequence[tuple[float, float]], bins: int = 40, cell: int = 8) -> bytes:
    """A PNG of the 2-D density of ``points`` (x right, y up), smoothed, in viridis colours."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    grid = [[0.0] * bins for _ in range(bins)]
    for x, y in points:
        i = min(int((x - x0) / (x1 - x0 or 1) * bins), bins - 1)
        j = min(int((y - y0) / (y1 - y0 or 1) * bins), bins - 1)
        for di in (-1, 0, 1):  # a little smoothing, so sparse data still reads as a density
            for dj in (-1, 0, 1):
                a, b = i + di, j + dj
                if 0 <= a < bins and 0 <= b < bins:
                    grid[b][a] += 1.0 if di == dj == 0 else 0.35
    peak = max(max(row) for row in grid) or 1.0
    size = bins * cell
    raw = bytearray()
    for py in range(size):
        row = grid[bins - 1 - py // cell]
        raw.append(0)  # PNG filter type 0 for this scanline
        for px in range(size):
            raw.extend(_viridis(row[px // cell] / peak))
    return _png(size, size, bytes(raw))


def _png(width: int, height: int, rgb_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rgb_rows, 9)) + chunk(b"IEND", b"")
    )


def tone_wav(frequency: float, seconds: float, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV of a sine tone with short fades (no clicks)."""
    frames = int(seconds * rate)
    fade = max(1, int(0.01 * rate))
    samples = bytearray()
    for n in range(frames):
        envelope = min(1.0, n / fade, (frames - n) / fade)
        samples += struct.pack("<h", int(0.4 * 32767 * envelope * math.sin(2 * math.pi * frequency * n / rate)))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(samples))
    return buf.getvalue()
