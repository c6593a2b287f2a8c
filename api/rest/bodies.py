"""Reading a send request's body the way Postman v1 accepts it: JSON, urlencoded or multipart.

Postman's clients send all three; the same fields mean the same thing in each. Form bodies carry
lists as repeated fields (`cc=a&cc=b`, also `cc[]=`) or as one stringified JSON array (#2286).
The body is read here, not by Django's request.body, because Django refuses bodies above its
2 MiB form limit with an HTML 400, where the API must answer JSON: 400 for a body field over
1 MiB, 413 for a request too large to read at all.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Buffer
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError

from api.attachments import IncomingFile
from api.errors import ApiError, invalid
from api.schemas import is_utf8_text
from common.uploads import refused_upload_limit

# Attachments (10 MB) and body (1 MiB) with room for the other fields and multipart framing.
MAX_REQUEST_BYTES = 16 * 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FILE_FIELD = "attachments"


# Form bodies are decoded with this codec: UTF-8, where bytes that are not UTF-8 stay as lone
# surrogates (surrogateescape) whatever error handler Django asks for. Django's own decoding would
# silently make them U+FFFD; this way the schemas refuse them naming the field, as they refuse a
# lone surrogate sent in JSON.
FORM_ENCODING = "postman_form_utf_8"


def _form_codec(name: str) -> codecs.CodecInfo | None:
    if name.replace("-", "_") != FORM_ENCODING:
        return None

    def decode(data: Buffer, errors: str = "strict", /) -> tuple[str, int]:
        return codecs.utf_8_decode(data, "surrogateescape", True)

    def encode(text: str, errors: str = "strict", /) -> tuple[bytes, int]:
        return codecs.utf_8_encode(text, "surrogateescape")

    return codecs.CodecInfo(encode, decode, name=FORM_ENCODING)


codecs.register(_form_codec)


@dataclass(frozen=True)
class RequestBody:
    fields: dict[str, Any]
    files: list[IncomingFile] = field(default_factory=list)
    fingerprint: str = ""


def read_body(request: HttpRequest, *, list_fields: frozenset[str], files_allowed: bool) -> RequestBody:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > MAX_REQUEST_BYTES:
        raise ApiError(413, "payload_too_large", f"The request is larger than {MAX_REQUEST_BYTES} bytes.")
    media_type = request.content_type or ""
    files: list[IncomingFile] = []
    if media_type == "multipart/form-data":
        fields, files = _multipart(request, list_fields)
    elif media_type == "application/x-www-form-urlencoded":
        fields = _form(_query_dict(request.read()), list_fields)
    elif media_type == "application/json":
        fields = _json(request.read())
    elif length == 0:
        fields = {}
    else:
        raise ApiError(
            400,
            "malformed",
            "Send the body as application/json, application/x-www-form-urlencoded or multipart/form-data.",
        )
    if FILE_FIELD in fields or (files and not files_allowed):
        raise ApiError(400, "attachment_format", "Attachments can only be sent as multipart/form-data files.")
    return RequestBody(fields, files, _fingerprint(request.path, fields, files))


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed", "The body must be a JSON object.")
    return data


def _query_dict(raw: bytes) -> QueryDict:
    try:
        return QueryDict(raw, encoding=FORM_ENCODING)
    except TooManyFieldsSent:
        raise ApiError(400, "malformed", "The form has too many fields.") from None


def _multipart(
    request: HttpRequest, list_fields: frozenset[str]
) -> tuple[dict[str, Any], list[IncomingFile]]:
    request.encoding = FORM_ENCODING
    try:
        post, uploads = request.POST, request.FILES
    except RequestDataTooBig:
        raise ApiError(413, "payload_too_large", "The form fields are too large.") from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise ApiError(400, "malformed", "The form has too many fields or files.") from None
    except MultiPartParserError as error:
        raise ApiError(400, "malformed", f"The multipart body cannot be read: {error}") from None
    if limit := refused_upload_limit(request):
        # Cut off while streaming (common.uploads): the rest of the body was never read.
        raise ApiError(413, "attachment_limit", f"Attachments can be at most {limit} bytes in all.")
    files: list[IncomingFile] = []
    for name, items in uploads.lists():
        if name.removesuffix("[]") != FILE_FIELD:
            raise invalid(name, "is not allowed")
        files.extend(_incoming(upload) for upload in items)
    return _form(post, list_fields), files


def _incoming(upload: UploadedFile) -> IncomingFile:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return IncomingFile(upload.name or "", upload.size or 0, digest.hexdigest(), upload)


def _form(data: QueryDict, list_fields: frozenset[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, values in data.lists():
        if not is_utf8_text(key):
            raise ApiError(400, "malformed", "A field name is not valid UTF-8 text.")
        name = key.removesuffix("[]")
        if name in list_fields:
            fields[name] = [*fields.get(name, []), *_list_values(name, values)]
        elif len(values) > 1 or name in fields:
            raise invalid(name, "must be a single value")
        else:
            fields[name] = values[0]
    return fields


def _list_values(name: str, values: list[str]) -> list[Any]:
    if len(values) == 1 and values[0].lstrip().startswith("["):
        try:
            parsed = json.loads(values[0])
        except ValueError:
            raise invalid(name, "must be an array of email addresses") from None
        if not isinstance(parsed, list):
            raise invalid(name, "must be an array of email addresses")
        return parsed
    return list(values)


def _fingerprint(path: str, fields: dict[str, Any], files: list[IncomingFile]) -> str:
    """What makes two requests "the same" for Idempotency-Key: the fields and the files' contents,
    not the bytes on the wire (a retried multipart request has a new boundary)."""
    canonical = {
        "path": path,
        "fields": fields,
        "files": [[f.name, f.size, f.sha256] for f in files],
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()
