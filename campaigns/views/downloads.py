"""CSV downloads, streamed row by row: the rejected rows of an upload and the full results.

The campaign API streams the same files through `csv_download`."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from campaigns import selectors
from campaigns.models import Campaign
from campaigns.views.access import OfficerRequest, campaign_view

# Excel reads a CSV as the local code page unless it starts with a byte order mark.
_BOM = "\ufeff"


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _lines(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield _BOM
    for row in rows:
        yield writer.writerow(row)


def csv_download(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _slug(campaign: Campaign) -> str:
    return slugify(campaign.name) or f"campaign-{campaign.pk}"


def rejected_filename(campaign: Campaign) -> str:
    return f"{_slug(campaign)}-rejected-rows.csv"


def export_filename(campaign: Campaign) -> str:
    return f"{_slug(campaign)}-results.csv"


def _data_deleted(request: OfficerRequest, campaign: Campaign) -> HttpResponse | None:
    if campaign.data_deleted_at is None:
        return None
    deleted_on = date_format(timezone.localtime(campaign.data_deleted_at), "j M Y")
    messages.info(request, f"Recipient data deleted on {deleted_on}: there is no list to download any more.")
    return redirect("campaigns:detail", pk=campaign.pk)


@campaign_view
@require_safe
def rejected(request: OfficerRequest, campaign: Campaign) -> HttpResponseBase:
    if deleted := _data_deleted(request, campaign):
        return deleted
    return csv_download(selectors.rejected_rows(campaign), rejected_filename(campaign))


@campaign_view
@require_safe
def export(request: OfficerRequest, campaign: Campaign) -> HttpResponseBase:
    if deleted := _data_deleted(request, campaign):
        return deleted
    return csv_download(selectors.export_rows(campaign), export_filename(campaign))
