"""Agency logos: whatever is uploaded, what we store and serve is a PNG we drew ourselves.

An uploaded "image" may be HTML, SVG with script, or a polyglot (a GIF that is also JavaScript).
Served from our origin, any of those could run in an officer's or admin's session. So the upload
must decode as a raster image, and the stored file is a fresh PNG re-encoded from its pixels:
nothing of the uploaded bytes survives.
"""

from __future__ import annotations

import io
from typing import IO

from PIL import Image, UnidentifiedImageError

LOGO_CONTENT_TYPE = "image/png"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# The header states the size before any pixel is decoded: refuse a decompression bomb there.
MAX_PIXELS = 25_000_000
# Emails show the logo 48 pixels high; this leaves room for high-density screens.
BOX = (600, 200)
_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


class LogoRefused(ValueError):
    pass


def draw_logo(upload: IO[bytes], size: int) -> bytes:
    """A PNG of at most BOX pixels drawn from the uploaded image; LogoRefused if it is not one."""
    if size > MAX_UPLOAD_BYTES:
        raise LogoRefused(f"The logo is larger than {MAX_UPLOAD_BYTES // 1024**2} MB.")
    try:
        with Image.open(upload) as image:
            if image.format not in _FORMATS:
                raise LogoRefused("The logo must be a PNG, JPEG, GIF or WebP image.")
            if image.width * image.height > MAX_PIXELS:
                raise LogoRefused("The logo has too many pixels; use one at most 600 by 200.")
            image.load()
            pixels = image.convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise LogoRefused("The logo must be a PNG, JPEG, GIF or WebP image.") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise LogoRefused("The logo image is damaged; save it again and upload it.") from None
    pixels.thumbnail(BOX)
    out = io.BytesIO()
    pixels.save(out, "PNG", optimize=True)
    return out.getvalue()
