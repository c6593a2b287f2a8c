"""Amazon SES's error codes in words an officer understands, each followed by the code itself.

Used wherever an SES answer reaches a person: test sends, each message's failure reason
(progress page, export) and checks of sender addresses. A code not in the table keeps SES's own
message, so nothing SES said is lost.
"""

from __future__ import annotations

SES_ERRORS: dict[str, str] = {
    "MessageRejected": "Amazon SES refused this email",
    "MailFromDomainNotVerifiedException": "The sender's domain is not verified in Amazon SES",
    "AccountSendingPausedException": "Sending is paused for the Amazon SES account: ask your administrator",
    "SendingPausedException": (
        "Sending is paused for the Amazon SES account or configuration set: ask your administrator"
    ),
    "AccountSuspendedException": "The Amazon SES account is suspended: ask your administrator",
    "LimitExceededException": "The Amazon SES account has reached its sending quota; Postman tries again",
    "TooManyRequestsException": "Amazon SES is getting too many requests at once; Postman tries again",
    "Throttling": "Amazon SES is getting too many requests at once; Postman tries again",
    "BadRequestException": "Amazon SES found something wrong in the email",
    "NotFoundException": "Amazon SES does not know Postman's configuration set: ask your administrator",
    "InternalFailure": "Amazon SES had a failure of its own; Postman tries again",
    "InvalidClientTokenId": "The AWS access key is wrong",
    "SignatureDoesNotMatch": "The AWS secret access key is wrong",
    "UnrecognizedClientException": "The AWS access key is wrong",
    "AccessDeniedException": "The AWS credentials may not send email through Amazon SES",
}
# SES's own message says which address or setting it refused: kept after the plain words.
WITH_DETAIL = {"MessageRejected", "BadRequestException"}


def ses_words(code: str, message: str = "") -> str:
    """ "The sender's domain is not verified in Amazon SES (SES MailFromDomainNotVerifiedException)"."""
    message = message.strip().rstrip(".")
    reason = SES_ERRORS.get(code)
    if reason and message and code in WITH_DETAIL:
        reason = f"{reason}: {message}"
    reason = reason or message
    if not code:
        return reason or "Amazon SES gave no reason"
    return f"{reason} (SES {code})" if reason else f"Amazon SES error {code}"
