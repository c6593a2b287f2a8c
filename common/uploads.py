"""Uploads are cut off while they stream in, before Django writes them to disk.

Django's own handlers write a whole upload to a temporary file before any view can look at its
size, so a client could make us store gigabytes only to refuse them. This handler runs first:
it refuses a request whose declared length is already too large before reading its files, and
stops reading the body as soon as its files pass the limit. The fields before the files (the
CSRF token) are still read, so the view can answer with its own message, which it finds with
``refused_upload_limit``.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

# Room in a request for the form's other fields and the multipart framing around the files.
FIELDS_ALLOWANCE = 2 * 1024 * 1024
_REFUSED = "postman.upload_refused_at"
# The campaign API's recipient upload takes files as large as the recipients page does.
_API_RECIPIENT_UPLOAD = re.compile(r"/api/v1/campaigns/[^/]+/recipients/?")


def upload_limit(request: HttpRequest) -> int:
    """The most file bytes one request may carry: API attachments, or a recipient file."""
    if request.path.startswith("/api/") and not _API_RECIPIENT_UPLOAD.fullmatch(request.path):
        return int(settings.API_UPLOAD_MAX_BYTES)
    return int(settings.UPLOAD_MAX_BYTES)


def refused_upload_limit(request: HttpRequest) -> int | None:
    """The limit the request's files went past, or None when nothing was refused."""
    limit = getattr(request, _REFUSED, None)
    return int(limit) if limit is not None else None


class CappedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS; later handlers never see a byte past the limit."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = upload_limit(request) if request is not None else int(settings.UPLOAD_MAX_BYTES)
        self.received = 0
        self.too_large = False

    def handle_raw_input(
        self, input_data: Any, META: dict[str, Any], content_length: int, *args: Any, **kwargs: Any
    ) -> None:
        self.too_large = content_length > self.limit + FIELDS_ALLOWANCE
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if self.too_large:
            self._refuse()
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        if self.request is not None:
            setattr(self.request, _REFUSED, self.limit)
        # Stop reading: the rest of the body is never read, so never written anywhere.
        raise StopUpload(connection_reset=True)
