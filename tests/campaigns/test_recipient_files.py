from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import openpyxl
import pytest

from campaigns.recipient_files import (
    MAX_FILE_BYTES,
    RecipientFileError,
    RecipientFileInfo,
    RecipientRow,
    inspect_recipient_file,
    read_recipient_rows,
)
from channels_email.addresses import normalise_email
from common.phones import normalise_phone

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
NORMALISERS = {"email": normalise_email, "sms": normalise_phone}
SAVE_AS = 'Save it as "CSV UTF-8" and upload again.'


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(
    path: Path,
    *,
    channel: Literal["email", "sms"] = "email",
    keywords: Iterable[str] = (),
    max_rows: int = 1_000_000,
) -> list[RecipientRow]:
    chunks = read_recipient_rows(path, normalise=NORMALISERS[channel], keywords=keywords, max_rows=max_rows)
    return [row for chunk in chunks for row in chunk]


def read_error(path: Path, *, keywords: Iterable[str] = (), max_rows: int = 1_000_000) -> str:
    with pytest.raises(RecipientFileError) as caught:
        read_all(path, keywords=keywords, max_rows=max_rows)
    return caught.value.message


def inspect_error(path: Path, *, keywords: Iterable[str] = ()) -> str:
    with pytest.raises(RecipientFileError) as caught:
        inspect_recipient_file(path, keywords=keywords)
    return caught.value.message


def both_errors(path: Path, *, keywords: Iterable[str] = ()) -> str:
    """The message, after checking that inspecting and reading refuse the file alike."""
    message = inspect_error(path, keywords=keywords)
    assert read_error(path, keywords=keywords) == message
    return message


def valid(row: int, recipient: str, /, **params: str) -> RecipientRow:
    return RecipientRow(row=row, recipient=recipient, status="valid", reason="", params=params)


def make_xlsx(path: Path, rows: list[list[object]], *, extra_sheets: Iterable[str] = ()) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Recipients"
    for row in rows:
        sheet.append(row)
    for title in extra_sheets:
        workbook.create_sheet(title).append(["other", "data"])
    workbook.save(path)
    return path


def rewrite_zip_member(path: Path, member: str, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    assert old in parts[member]
    parts[member] = parts[member].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


# Accepted files


def test_read_csv_utf8_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", "\ufeffrecipient,name\nalice@example.com,Zoë\n".encode())

    assert inspect_recipient_file(path, keywords=["name"]) == RecipientFileInfo(
        kind="csv", headers=["recipient", "name"], notes=[], size_bytes=path.stat().st_size
    )
    assert read_all(path, keywords=["name"]) == [
        valid(2, "alice@example.com", recipient="alice@example.com", name="Zoë")
    ]


def test_read_csv_crlf_line_ends(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,name\r\na@example.com,Ann\r\nb@example.com,Bob\r\n")

    assert read_all(path) == [
        valid(2, "a@example.com", recipient="a@example.com", name="Ann"),
        valid(3, "b@example.com", recipient="b@example.com", name="Bob"),
    ]


def test_read_csv_quoted_fields_with_newlines_and_commas_count_as_one_row(tmp_path: Path) -> None:
    data = b'recipient,address\na@example.com,"1 Main St,\nApt 2"\nb@example.com,"say ""hi"", ok"\n'
    path = write(tmp_path, "list.csv", data)

    assert read_all(path) == [
        valid(2, "a@example.com", recipient="a@example.com", address="1 Main St,\nApt 2"),
        valid(3, "b@example.com", recipient="b@example.com", address='say "hi", ok'),
    ]


def test_read_csv_headers_with_spaces_capitals_and_zero_width_characters(tmp_path: Path) -> None:
    data = " Recipient ,\u200bFirst Name\u200d,AMOUNT\u2060\ufeff\na@example.com,Ann,5\n".encode()
    path = write(tmp_path, "list.csv", data)

    info = inspect_recipient_file(path, keywords=["amount", " First Name"])

    assert info.headers == ["recipient", "first name", "amount"]
    assert read_all(path)[0].params == {"recipient": "a@example.com", "first name": "Ann", "amount": "5"}


def test_read_csv_right_to_left_and_emoji_names_kept(tmp_path: Path) -> None:
    names = ["محمد علي", "שָׁלוֹם", "Tan 👩🏽‍💻🇸🇬"]
    lines = ["recipient,name"] + [f"p{i}@example.com,{name}" for i, name in enumerate(names)]
    path = write(tmp_path, "list.csv", "\n".join(lines).encode())

    assert [row.params["name"] for row in read_all(path)] == names


def test_read_csv_formula_like_values_kept_as_text(tmp_path: Path) -> None:
    data = 'recipient,link,note\na@example.com,"=HYPERLINK(""http://x"",""y"")",+cmd\nb@example.com,@SUM(1),-1+2\n'
    path = write(tmp_path, "list.csv", data.encode())

    rows = read_all(path)

    assert [row.params["link"] for row in rows] == ['=HYPERLINK("http://x","y")', "@SUM(1)"]
    assert [row.params["note"] for row in rows] == ["+cmd", "-1+2"]


def test_read_csv_cells_are_strings_exactly_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path, "list.csv", b"recipient,code,big,flag,empty,pad\na@example.com,0012,1e5,TRUE,, x \n"
    )

    assert read_all(path)[0].params == {
        "recipient": "a@example.com",
        "code": "0012",
        "big": "1e5",
        "flag": "TRUE",
        "empty": "",
        "pad": " x ",
    }


def test_read_marks_invalid_empty_and_duplicate_recipients(tmp_path: Path) -> None:
    data = b'recipient\nAnn@Example.com\nnot-an-email\n"  "\nann@example.COM\n  ann@example.com\n'
    path = write(tmp_path, "list.csv", data)

    rows = read_all(path)

    assert [(row.row, row.recipient, row.status, row.reason) for row in rows] == [
        (2, "ann@example.com", "valid", ""),
        (3, "not-an-email", "invalid", "Not a valid email address: An email address must have an @-sign."),
        (4, "  ", "invalid", "Empty recipient"),
        (5, "ann@example.com", "duplicate", "Duplicate of row 2"),
        (6, "ann@example.com", "duplicate", "Duplicate of row 2"),
    ]


def test_read_sms_normalises_and_deduplicates_phone_numbers(tmp_path: Path) -> None:
    data = b"recipient\n9123 4567\n+65 9123-4567\n61234567\n+44 7911 123456\n"
    path = write(tmp_path, "list.csv", data)

    rows = read_all(path, channel="sms")

    assert [(row.recipient, row.status, row.reason) for row in rows] == [
        ("+6591234567", "valid", ""),
        ("+6591234567", "duplicate", "Duplicate of row 2"),
        ("61234567", "invalid", "Not a mobile number"),
        ("+447911123456", "valid", ""),
    ]


def test_read_skips_blank_rows_but_keeps_excel_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,name\n\na@example.com,A\n,\nb@example.com,B\n")

    assert [row.row for row in read_all(path)] == [3, 5]


def test_read_drops_trailing_empty_header_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,name,,\na@example.com,Ann,,\n")

    assert inspect_recipient_file(path, keywords=[]).headers == ["recipient", "name"]
    assert read_all(path) == [valid(2, "a@example.com", recipient="a@example.com", name="Ann")]


def test_read_yields_chunks(tmp_path: Path) -> None:
    lines = ["recipient"] + [f"p{i}@example.com" for i in range(5)]
    path = write(tmp_path, "list.csv", "\n".join(lines).encode())

    chunks = list(read_recipient_rows(path, normalise=normalise_email, keywords=[], chunk_rows=2))

    assert [[row.row for row in chunk] for chunk in chunks] == [[2, 3], [4, 5], [6]]


def test_read_xlsx_rows(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["Recipient", "Name"], ["a@example.com", "Ann"]])

    assert inspect_recipient_file(path, keywords=["name"]) == RecipientFileInfo(
        kind="xlsx", headers=["recipient", "name"], notes=[], size_bytes=path.stat().st_size
    )
    assert read_all(path) == [valid(2, "a@example.com", recipient="a@example.com", name="Ann")]


def test_read_xlsx_numbers_dates_and_booleans_as_text(tmp_path: Path) -> None:
    row = [
        91234567,
        91234567.0,
        12.5,
        0,
        True,
        dt.datetime(2024, 1, 31),
        dt.datetime(2024, 1, 31, 9, 30),
        "0012",
    ]
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient", "a", "b", "c", "d", "e", "f", "g"], row])

    rows = read_all(path, channel="sms")

    assert rows[0].recipient == "+6591234567"
    assert rows[0].params == {
        "recipient": "91234567",
        "a": "91234567",
        "b": "12.5",
        "c": "0",
        "d": "TRUE",
        "e": "2024-01-31",
        "f": "2024-01-31 09:30:00",
        "g": "0012",
    }


def test_read_xlsx_formula_gives_cached_value(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient", "total"], ["a@example.com", "=1+1"]])
    rewrite_zip_member(path, "xl/worksheets/sheet1.xml", b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")

    assert inspect_recipient_file(path, keywords=[]).notes == []
    assert read_all(path)[0].params == {"recipient": "a@example.com", "total": "2"}


def test_read_xlsx_formula_without_cached_value_is_empty_with_a_note(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient", "total"], ["a@example.com", "=1+1"]])

    assert inspect_recipient_file(path, keywords=[]).notes == [
        "Some formulas (the first in cell B2) have no saved value, so they are read as empty. "
        "Open the file in Excel and save it again to keep their values."
    ]
    assert read_all(path)[0].params == {"recipient": "a@example.com", "total": ""}


def test_read_xlsx_merged_cells_keep_value_in_top_left_only(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    make_xlsx(path, [["recipient", "group"], ["a@example.com", "Team A"], ["b@example.com", None]])
    workbook = openpyxl.load_workbook(path)
    workbook.active.merge_cells("B2:B3")
    workbook.save(path)

    assert [row.params["group"] for row in read_all(path)] == ["Team A", ""]


def test_read_xlsx_uses_first_sheet_and_notes_the_others(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "list.xlsx", [["recipient"], ["a@example.com"]], extra_sheets=["Old list", "Notes"]
    )

    assert inspect_recipient_file(path, keywords=[]).notes == [
        'The workbook has 3 sheets; only the first, "Recipients", was read.'
    ]
    assert [row.recipient for row in read_all(path)] == ["a@example.com"]


def test_read_judges_type_by_content_not_name(tmp_path: Path) -> None:
    xlsx_named_csv = make_xlsx(tmp_path / "list.csv", [["recipient"], ["a@example.com"]])
    csv_named_xlsx = write(tmp_path, "list.xlsx", b"recipient\nb@example.com\n")

    assert inspect_recipient_file(xlsx_named_csv, keywords=[]).kind == "xlsx"
    assert inspect_recipient_file(csv_named_xlsx, keywords=[]).kind == "csv"
    assert [row.recipient for row in read_all(csv_named_xlsx)] == ["b@example.com"]


def test_read_xlsx_value_beyond_the_header_is_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient", "name"], ["a@example.com", "Ann", "stray"]])

    assert read_error(path) == "Row 2 has a value in column C (column 3), which has no header."


# Refused files


def test_refuse_latin1_names_the_byte_and_row(tmp_path: Path) -> None:
    data = "recipient,name\na@example.com,Ann\nb@example.com,José\n".encode("latin-1")
    path = write(tmp_path, "list.csv", data)

    assert both_errors(path) == f"The file is not UTF-8 text (byte 0xE9 at row 3). {SAVE_AS}"


def test_refuse_latin1_midstream_after_inspect_passed(tmp_path: Path) -> None:
    lines = ["recipient,name"] + [f"p{i}@example.com,P" for i in range(1_500)] + ["late@example.com,Zoé"]
    path = write(tmp_path, "list.csv", "\n".join(lines).encode("latin-1"))
    chunks = read_recipient_rows(path, normalise=normalise_email, keywords=[], chunk_rows=1_000)

    assert inspect_recipient_file(path, keywords=[]).headers == ["recipient", "name"]
    assert len(next(chunks)) == 1_000
    with pytest.raises(RecipientFileError) as caught:
        list(chunks)
    assert caught.value.message == f"The file is not UTF-8 text (byte 0xE9 at row 1502). {SAVE_AS}"


def test_refuse_old_mac_line_ends(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,name\ra@example.com,A\r")

    assert both_errors(path) == f"The file has old Mac line ends (CR only). {SAVE_AS}"


def test_refuse_utf16_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", "recipient\na@example.com\n".encode("utf-16"))

    assert both_errors(path) == f"The file is UTF-16 text. {SAVE_AS}"


def test_refuse_utf16_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", "recipient\na@example.com\n".encode("utf-16-le"))

    assert both_errors(path) == f"The file is UTF-16 text. {SAVE_AS}"


def test_refuse_ragged_row(tmp_path: Path) -> None:
    lines = (
        ["recipient,name,amount"] + [f"p{i}@example.com,P,1" for i in range(5)] + ["x@example.com,X,1,extra"]
    )
    path = write(tmp_path, "list.csv", "\n".join(lines).encode())

    assert both_errors(path) == "Row 7 has 4 cells but the header has 3."


def test_refuse_short_row_that_pandas_would_pad(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,name,amount\na@example.com,Ann\n")

    assert both_errors(path) == "Row 2 has 2 cells but the header has 3."


def test_refuse_ragged_row_midstream_after_chunks_were_yielded(tmp_path: Path) -> None:
    lines = ["recipient,name"] + [f"p{i}@example.com,P" for i in range(10)] + ["late@example.com"]
    path = write(tmp_path, "list.csv", "\n".join(lines).encode())
    chunks = read_recipient_rows(path, normalise=normalise_email, keywords=[], chunk_rows=4)

    assert len(next(chunks)) == 4
    with pytest.raises(RecipientFileError, match=r"^Row 12 has 1 cell but the header has 2\.$"):
        list(chunks)


def test_refuse_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,name\r\n\r\n,\r\n")

    assert both_errors(path) == "The file has a header row but no recipients."


def test_refuse_xlsx_header_only(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient", "name"], [None, None]])

    assert both_errors(path) == "The file has a header row but no recipients."


def test_refuse_file_without_header_row(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"alice@example.com,Alice\nbob@example.com,Bob\n")

    assert both_errors(path) == (
        'The first row should hold the column names, such as "recipient", '
        'but it holds data ("alice@example.com").'
    )


def test_refuse_empty_first_row(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"\nrecipient\na@example.com\n")

    assert (
        both_errors(path) == 'The first row is empty; it should hold the column names, such as "recipient".'
    )


def test_refuse_empty_file(tmp_path: Path) -> None:
    assert both_errors(write(tmp_path, "list.csv", b"")) == "The file is empty."


def test_refuse_file_of_only_a_bom(tmp_path: Path) -> None:
    assert both_errors(write(tmp_path, "list.csv", b"\xef\xbb\xbf")) == "The file is empty."


@pytest.mark.parametrize(
    "data",
    [
        PNG_HEAD + bytes(range(256)) * 4,
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        bytes(range(256)) * 16,
    ],
    ids=["png", "jpeg", "pdf", "binary"],
)
def test_refuse_binary_file_named_csv(tmp_path: Path, data: bytes) -> None:
    assert both_errors(write(tmp_path, "list.csv", data)) == "This is not a CSV or Excel file."


def test_refuse_nul_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,name\na@example.com,Ann\nb@example.com,B\x00b\n")

    assert both_errors(path) == f"The file has a NUL byte at row 3, so it is not plain text. {SAVE_AS}"


def test_refuse_semicolon_separated(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient;name\na@example.com;Ann\n")

    assert (
        both_errors(path) == "The file seems to be separated by semicolons; save it as comma-separated CSV."
    )


def test_refuse_tab_separated(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient\tname\na@example.com\tAnn\n")

    assert both_errors(path) == "The file seems to be separated by tabs; save it as comma-separated CSV."


def test_refuse_more_than_max_rows_without_reading_the_rest(tmp_path: Path) -> None:
    # Row 9 is ragged: reaching it would mean the reader went past max_rows + 1.
    lines = ["recipient"] + [f"p{i}@example.com" for i in range(7)] + ["x@example.com,extra"]
    path = write(tmp_path, "list.csv", "\n".join(lines).encode())

    assert read_error(path, max_rows=5) == "The file has more than 5 recipients."


def test_refuse_more_than_max_rows_message_groups_thousands(tmp_path: Path) -> None:
    lines = ["recipient"] + [f"p{i}@example.com" for i in range(1_001)]
    path = write(tmp_path, "list.csv", "\n".join(lines).encode())

    assert read_error(path, max_rows=1_000) == "The file has more than 1,000 recipients."


def test_refuse_file_over_200_mb_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    with path.open("wb") as file:
        file.write(b"recipient\na@example.com\n")
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used

    assert both_errors(path) == "The file is 201 MB; files can be at most 200 MB."


def test_refuse_cell_over_10000_characters(tmp_path: Path) -> None:
    data = "recipient,note\na@example.com,ok\nb@example.com," + "x" * 10_001 + "\n"
    path = write(tmp_path, "list.csv", data.encode())

    assert both_errors(path) == 'Row 3, column "note" is longer than 10,000 characters.'


def test_refuse_unclosed_quote(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b'recipient,note\na@example.com,"never closed\nb@example.com,x\n')

    assert both_errors(path) == 'Row 2 has a quote (") that is never closed.'


def test_refuse_duplicate_header_after_normalising(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", "recipient,Name,name\u200b \na@example.com,A,B\n".encode())

    assert both_errors(path) == 'The column "name" appears more than once in the header.'


def test_refuse_empty_header_cell_in_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,,name\na@example.com,x,Ann\n")

    assert both_errors(path) == "Column B (column 2) has no header."


def test_refuse_empty_header_cell_in_xlsx(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "list.xlsx", [["recipient", "name", None, "amount"], ["a@example.com", "A", "", 1]]
    )

    assert both_errors(path) == "Column C (column 3) has no header."


def test_refuse_missing_keyword_columns_lists_them_all(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"recipient,other\na@example.com,x\n")

    message = both_errors(path, keywords=["name", "Other", "amount", "NAME"])

    assert message == 'The file is missing the columns "name", "amount" that the template uses.'


def test_refuse_missing_recipient_column(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", b"email,name\nAnn,x\n")

    assert both_errors(path) == 'The file needs a "recipient" column.'


def test_refuse_xlsx_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient"], ["a@example.com"]])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(64 * 1024 * 1024))

    assert both_errors(path) == (
        "The Excel file is compressed far more than spreadsheets are (a zip bomb?), "
        "so it cannot be read safely."
    )


def test_refuse_xlsx_declaring_more_than_1_gb(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient"], ["a@example.com"]])
    data = bytearray(path.read_bytes())
    # Claim 2 GB uncompressed for the first member in its central directory entry.
    entry = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, entry + 24, 2 * 1024**3)
    path.write_bytes(bytes(data))

    assert both_errors(path) == "The Excel file would expand to more than 1 GB, so it cannot be read safely."


def test_refuse_zip_with_too_many_members(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for index in range(10_001):
            archive.writestr(f"x/{index}", b"")

    assert both_errors(path) == "The Excel file has too many parts to be a spreadsheet."


def test_refuse_truncated_xlsx(tmp_path: Path) -> None:
    whole = make_xlsx(tmp_path / "whole.xlsx", [["recipient"], ["a@example.com"]]).read_bytes()
    path = write(tmp_path, "list.xlsx", whole[: len(whole) // 2])

    assert both_errors(path) == (
        "The Excel file is damaged and cannot be read. Open it in Excel, save it again and upload it again."
    )


def test_refuse_xlsx_with_garbage_workbook_part(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "list.xlsx", [["recipient"], ["a@example.com"]])
    rewrite_zip_member(path, "xl/workbook.xml", b"<sheets>", b"<sheets><<<")

    assert both_errors(path) == (
        "The Excel file is damaged and cannot be read. Open it in Excel, save it again and upload it again."
    )


def test_refuse_random_bytes_named_xlsx(tmp_path: Path) -> None:
    path = write(tmp_path, "list.xlsx", random.Random(7).randbytes(4096))

    assert both_errors(path) == "This is not a CSV or Excel file."


def test_refuse_docx_zip(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    path = write(tmp_path, "list.xlsx", buffer.getvalue())

    assert both_errors(path) == "This is not a CSV or Excel file."


def test_refuse_old_xls_or_encrypted_workbook(tmp_path: Path) -> None:
    path = write(tmp_path, "list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))

    assert both_errors(path) == (
        "This is an old-format (.xls) or password-protected Excel file. Save it as .xlsx without "
        'a password, or as "CSV UTF-8", and upload again.'
    )
