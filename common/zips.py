"""Opening untrusted zip archives (XLSX, DOCX, OpenDocument) without inflating more than we mean to.

A zip states each member's compressed and uncompressed size in its central directory, and zipfile
never inflates a member past its stated size. So the sizes can be judged before anything is
inflated: a member that claims to grow far more than documents do is a decompression bomb, and
is refused without reading it. What we do inflate to recognise a file is a few hundred bytes.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO, Literal

# Parsing a zip's directory costs memory per member (a ZipInfo each); documents have a few dozen.
MAX_MEMBERS = 10_000
# Real documents deflate 2-20 to 1 (XML of repeated tags a little more); a bomb thousands to 1.
MAX_RATIO = 100
# Tiny members compress oddly (an empty file is "infinitely" compressed): ratios count above this.
RATIO_FLOOR_BYTES = 1024 * 1024
# Enough to read a member's signature or an OpenDocument "mimetype" member.
HEAD_BYTES = 512

# Documents are stored or deflated. zipfile inflates deflate in bounded steps but bzip2 and LZMA
# in one call per read, so a few kilobytes of those could expand without bound.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

RefusalKind = Literal["damaged", "members", "ratio", "size"]


class ZipRefused(ValueError):
    """An archive we will not open further; ``kind`` lets each caller word its own message."""

    def __init__(self, kind: RefusalKind, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind: RefusalKind = kind


def declared_member_count(file: BinaryIO) -> int:
    """Member count from the zip's end record, read before zipfile builds an object per member."""
    size = file.seek(0, 2)
    tail_size = min(size, 22 + 65_535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        raise ZipRefused("damaged", "no end of central directory")
    # 0xFFFF means "see the Zip64 record"; no document has that many parts, so it counts as too many.
    return int.from_bytes(tail[end + 10 : end + 12], "little")


def open_archive(file: BinaryIO, *, max_members: int = MAX_MEMBERS) -> zipfile.ZipFile:
    """A ZipFile over ``file`` once its member count is plausible; nothing is inflated yet."""
    if declared_member_count(file) > max_members:
        raise ZipRefused("members", f"more than {max_members} members")
    file.seek(0)
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise ZipRefused("damaged", str(error)) from None


def check_sizes(members: list[zipfile.ZipInfo], *, max_total: int, max_ratio: int = MAX_RATIO) -> None:
    """Refuse an archive that says it expands past ``max_total`` or far more than documents do."""
    for member in members:
        if member.compress_type not in _METHODS:
            raise ZipRefused("damaged", f"{member.filename} uses compression method {member.compress_type}")
    if sum(member.file_size for member in members) > max_total:
        raise ZipRefused("size", f"expands to more than {max_total} bytes")
    for member in members:
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > max_ratio * member.compress_size:
            raise ZipRefused(
                "ratio", f"{member.filename} expands {member.file_size} from {member.compress_size}"
            )


def read_head(archive: zipfile.ZipFile, member: str | zipfile.ZipInfo, limit: int = HEAD_BYTES) -> bytes:
    """The first ``limit`` bytes of a member: zipfile inflates in small steps, so never much more."""
    try:
        info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    except KeyError:
        raise ZipRefused("damaged", f"no member {member}") from None
    if info.compress_type not in _METHODS:
        raise ZipRefused("damaged", f"{info.filename} uses compression method {info.compress_type}")
    try:
        with archive.open(info) as handle:
            return handle.read(limit)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise ZipRefused("damaged", str(error)) from None
