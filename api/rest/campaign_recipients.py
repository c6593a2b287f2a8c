"""/api/v1/campaigns/{id}/recipients: upload a recipient file, poll its ingest, download the rows
it rejected. The upload goes through the recipients page's form and service, so the same size
limit, the same storage and the same ingest task apply; nothing here reads the file."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Path, Router

from api.campaign_schemas import RecipientFileOut
from api.errors import ApiError, invalid
from api.rest import campaign_docs as docs
from api.rest.campaign_json import MAX_ID, form_error, owned_campaign, perform, recipient_file_json
from api.rest.responses import respond
from api.schemas import ErrorOut
from campaigns import selectors as campaign_selectors
from campaigns import services
from campaigns.forms import RecipientUploadForm
from campaigns.models import Campaign, RecipientFile, RecipientFileStatus
from campaigns.views.downloads import csv_download, rejected_filename
from common.uploads import refused_upload_limit

router = Router(tags=["Campaigns"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 429: ErrorOut}
FILE_FIELD = "file"


@router.post(
    "/{campaign_id}/recipients",
    response={202: RecipientFileOut, 403: ErrorOut, 413: ErrorOut, **ERRORS},
    summary="Upload recipients",
    description="A CSV or Excel (.xlsx) file, up to 200 MB, as multipart/form-data in the field "
    "`file`; the first row names the columns: `recipient` and one per keyword of the template. "
    "Answers 202 at once: every row is then checked and loaded in the background. Poll the URL "
    "in `Location` (also `url`) until `status` is `ready` or `failed`. A new upload replaces the "
    "list; a refused file leaves the earlier list as it was.",
    openapi_extra=docs.UPLOAD_DOC,
    operation_id="upload_campaign_recipients",
)
def upload_recipients(request: HttpRequest, campaign_id: int = Path(..., ge=1, le=MAX_ID)) -> HttpResponse:
    campaign = owned_campaign(request.auth.owner, campaign_id)  # type: ignore[attr-defined]
    upload = _uploaded_file(request)
    recipient_file = perform(lambda: services.upload_recipients(campaign=campaign, upload=upload))
    body = recipient_file_json(recipient_file)
    return respond(202, body, {"Location": body["url"]})


def _uploaded_file(request: HttpRequest) -> UploadedFile:
    if request.content_type != "multipart/form-data":
        raise ApiError(
            400, "malformed", f'Send the file as multipart/form-data, in the field "{FILE_FIELD}".'
        )
    try:
        fields, files = request.POST, request.FILES
    except RequestDataTooBig:
        raise ApiError(413, "payload_too_large", "The form fields are too large.") from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise ApiError(400, "malformed", "The form has too many fields or files.") from None
    except MultiPartParserError as error:
        raise ApiError(400, "malformed", f"The multipart body cannot be read: {error}") from None
    if limit := refused_upload_limit(request):
        # Cut off while streaming (common.uploads): the rest was never read, nothing was stored.
        message = f"The file is larger than {limit // 1024**2} MB. Split it into smaller files."
        raise ApiError(413, "payload_too_large", message)
    for name in [*fields, *files]:
        if name != FILE_FIELD:
            raise invalid(name, "is not allowed")
    if len(files.getlist(FILE_FIELD)) > 1:
        raise invalid(FILE_FIELD, "must be a single file")
    form = RecipientUploadForm(files=files)
    if not form.is_valid():
        raise form_error(form)
    upload: UploadedFile = form.cleaned_data[FILE_FIELD]
    return upload


def _owned_file(campaign: Campaign, file_id: int) -> RecipientFile:
    recipient_file = campaign.recipient_files.filter(pk=file_id).first()
    if recipient_file is None:
        raise ApiError(404, "not_found", "Recipient file not found.")
    return recipient_file


@router.get(
    "/{campaign_id}/recipients/{file_id}",
    response={200: RecipientFileOut, **ERRORS},
    summary="Get an upload's ingest result",
    description="`status` is `pending`, then `processing` (`rows_read` grows), then `ready` with "
    "the counts, or `failed` with `error`. Rejected rows (invalid, duplicate, suppressed) are at "
    "`rejected_rows_url`.",
    openapi_extra=docs.FILE_DOC,
    operation_id="get_campaign_recipient_file",
    url_name="recipient_file",
)
def get_recipient_file(
    request: HttpRequest,
    campaign_id: int = Path(..., ge=1, le=MAX_ID),
    file_id: int = Path(..., ge=1, le=MAX_ID),
) -> HttpResponse:
    campaign = owned_campaign(request.auth.owner, campaign_id)  # type: ignore[attr-defined]
    return respond(200, recipient_file_json(_owned_file(campaign, file_id)))


@router.get(
    "/{campaign_id}/recipients/{file_id}/rejected",
    response={200: None, **ERRORS},
    summary="Download rejected rows (CSV)",
    description="Every invalid, duplicate or suppressed row of the loaded list, in file order, "
    "with the reason for each; streamed. Only for the upload whose rows are the campaign's list.",
    openapi_extra=docs.REJECTED_DOC,
    operation_id="download_campaign_rejected_rows",
)
def download_rejected(
    request: HttpRequest,
    campaign_id: int = Path(..., ge=1, le=MAX_ID),
    file_id: int = Path(..., ge=1, le=MAX_ID),
) -> StreamingHttpResponse:
    campaign = owned_campaign(request.auth.owner, campaign_id)  # type: ignore[attr-defined]
    recipient_file = _owned_file(campaign, file_id)
    loaded = campaign.recipient_files.filter(status=RecipientFileStatus.READY).first()
    if loaded is None or loaded.pk != recipient_file.pk:
        raise ApiError(404, "not_found", "Rejected rows are kept only for the list now loaded.")
    return csv_download(campaign_selectors.rejected_rows(campaign), rejected_filename(campaign))
