"""The QR code of a bot's t.me link, drawn here as SVG: no image service, no script."""

from __future__ import annotations

import functools
import io

import segno


@functools.lru_cache(maxsize=128)
def qr_svg(link: str) -> str:
    """An <svg> element to put in the page (no XML declaration, no namespace needed in HTML)."""
    code = segno.make_qr(link, error="m")
    svg: str = code.svg_inline(scale=5, border=2, dark="#000", light="#fff", title=f"QR code for {link}")
    return svg


@functools.lru_cache(maxsize=128)
def qr_svg_file(link: str) -> bytes:
    """A standalone SVG file, larger, to print on posters and letters."""
    buffer = io.BytesIO()
    segno.make_qr(link, error="m").save(buffer, kind="svg", scale=10, border=4, dark="#000", light="#fff")
    return buffer.getvalue()
