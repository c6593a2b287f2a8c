"""Which files may be attached to an API email: decided by content, and the name must agree.

The type comes from the file's first bytes (and, for Office and OpenDocument files, the zip's
entries), never from the name or the declared Content-Type, which the sender controls. The name's
extension must then be one of the detected type's own, so a PDF called "invoice.exe" is refused
as firmly as a real executable: a recipient's mail program trusts the extension.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from common import zips


@dataclass(frozen=True)
class IncomingFile:
    """An uploaded attachment, hashed once as it arrived."""

    name: str
    size: int
    sha256: str
    upload: IO[bytes]

    def read(self) -> bytes:
        self.upload.seek(0)
        return self.upload.read()


@dataclass(frozen=True)
class FileKind:
    name: str
    mimetype: str
    extensions: frozenset[str]


def _kind(name: str, mimetype: str, *extensions: str) -> FileKind:
    return FileKind(name, mimetype, frozenset(extensions))


PDF = _kind("PDF", "application/pdf", "pdf")
PNG = _kind("PNG image", "image/png", "png")
JPEG = _kind("JPEG image", "image/jpeg", "jpg", "jpeg")
GIF = _kind("GIF image", "image/gif", "gif")
RTF = _kind("RTF document", "application/rtf", "rtf")
DOCX = _kind(
    "Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
)
XLSX = _kind("Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
PPTX = _kind(
    "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
)
ODT = _kind("OpenDocument text", "application/vnd.oasis.opendocument.text", "odt")
ODS = _kind("OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", "ods")
ODP = _kind("OpenDocument presentation", "application/vnd.oasis.opendocument.presentation", "odp")
TEXT = _kind("text file", "text/plain", "txt", "csv", "ics")

KINDS = (PDF, PNG, JPEG, GIF, RTF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TEXT)
ALLOWED_EXTENSIONS = sorted(ext for kind in KINDS for ext in kind.extensions)

_MAGIC: list[tuple[bytes, FileKind]] = [
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"{\\rtf", RTF),
]
# Named so the refusal can say what the file is; none of these is ever allowed.
_REFUSED_MAGIC: list[tuple[bytes, str]] = [
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"#!", "a script"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Office file, which can carry macros"),
    (b"Rar!", "an archive"),
    (b"7z\xbc\xaf\x27\x1c", "an archive"),
    (b"\x1f\x8b", "an archive"),
]
_OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_ODF = {ODT.mimetype: ODT, ODS.mimetype: ODS, ODP.mimetype: ODP}
# Office keeps VBA in vbaProject.bin; OpenDocument keeps Basic and scripts in these folders.
_MACRO_FILE = "vbaproject.bin"
_MACRO_FOLDERS = ("basic/", "scripts/")
# A document may expand past this only as a decompression bomb would (10 MB in: 100 to 1).
MAX_EXPANDED_BYTES = 1024 * 1024 * 1024
BOMB = "is compressed far more than documents are (a zip bomb?), so it cannot be attached."


class AttachmentRefused(ValueError):
    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f'Attachment "{filename}" {reason}')
        self.filename = filename


def extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower().lstrip(".")


def check_attachment(filename: str, content: bytes) -> FileKind:
    """The file's kind if it may be attached under this name; raise AttachmentRefused otherwise."""
    if not PurePosixPath(filename.replace("\\", "/")).stem.strip(" ."):
        raise AttachmentRefused(filename, "has no file name.")
    if not content:
        raise AttachmentRefused(filename, "is empty.")
    kind = sniff(filename, content)
    if extension(filename) not in kind.extensions:
        expected = ", ".join(f".{ext}" for ext in sorted(kind.extensions))
        raise AttachmentRefused(filename, f"is a {kind.name}; its name must end in {expected}.")
    return kind


def sniff(filename: str, content: bytes) -> FileKind:
    for magic, refused in _REFUSED_MAGIC:
        if content.startswith(magic):
            raise AttachmentRefused(filename, f"is {refused}, which cannot be attached.")
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(filename, content)
    if _is_text(content):
        return TEXT
    raise AttachmentRefused(
        filename, "is not a type that can be attached. Allowed: " + ", ".join(ALLOWED_EXTENSIONS) + "."
    )


def _zip_kind(filename: str, content: bytes) -> FileKind:
    """Tell the document type from the zip's member names and at most a few hundred inflated bytes."""
    try:
        with zips.open_archive(io.BytesIO(content)) as archive:
            members = archive.infolist()
            zips.check_sizes(members, max_total=MAX_EXPANDED_BYTES)
            names = [member.filename.lower() for member in members]
            mimetype = next((m for m in members if m.filename == "mimetype"), None)
            odf_type = zips.read_head(archive, mimetype, 128).decode("ascii", "replace") if mimetype else ""
    except zips.ZipRefused as refused:
        if refused.kind in ("ratio", "size"):
            raise AttachmentRefused(filename, BOMB) from None
        if refused.kind == "members":
            raise AttachmentRefused(filename, "has too many parts to be a document.") from None
        raise AttachmentRefused(filename, "looks like a damaged zip file.") from None
    if any(name.endswith(_MACRO_FILE) or name.startswith(_MACRO_FOLDERS) for name in names):
        raise AttachmentRefused(filename, "contains macros, which cannot be attached.")
    if odf_type in _ODF:
        return _ODF[odf_type]
    if "[content_types].xml" in names:
        for folder, kind in _OOXML.items():
            if any(name.startswith(folder) for name in names):
                return kind
    raise AttachmentRefused(filename, "is a zip archive, which cannot be attached.")


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    # Control characters other than tab, newline and carriage return mean binary data.
    return not any(ord(char) < 32 and char not in "\t\n\r\f" for char in text[:65536])
