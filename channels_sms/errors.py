"""Twilio's error codes in words an officer understands, each followed by the code itself.

Used wherever a Twilio answer reaches a person: checking SMS settings, test sends, each
message's failure reason (progress page, export) and delivery reports. A code not in the table
keeps Twilio's own message, so nothing Twilio said is lost.
"""

from __future__ import annotations

TWILIO_ERRORS: dict[str, str] = {
    "20003": "The account SID or auth token is wrong",
    "20008": "These are Twilio test credentials, which cannot send real messages",
    "20404": "Twilio has no such account or resource: check the account SID",
    "20429": "Twilio is getting too many requests at once; Postman tries again",
    "429": "Twilio is getting too many requests at once; Postman tries again",
    "21211": "The number is not a valid phone number",
    "21408": "The Twilio account may not send SMS to this country: allow it in Twilio's geo permissions",
    "21606": "The sender number cannot send SMS to this number",
    "21610": "The recipient replied STOP to this sender",
    "21612": "Twilio cannot send from this sender to this number",
    "21614": "The number is not a mobile number",
    "21617": "The message is longer than Twilio's limit of 1,600 characters",
    "21660": "The sender number belongs to another Twilio account",
    "30001": "Too many messages are waiting at Twilio for this sender; send more slowly",
    "30002": "The Twilio account is suspended",
    "30003": "The phone is switched off or out of reach",
    "30004": "The recipient or their mobile carrier blocked the message",
    "30005": "The number does not exist or is no longer in use",
    "30006": "The number is a landline or its carrier cannot receive SMS",
    "30007": "The mobile carrier filtered the message as spam",
    "30008": "The mobile carrier could not deliver it and gave no reason",
}


def twilio_words(code: object, message: str = "") -> str:
    """ "The number is not a valid phone number (Twilio 21211)"; Twilio's own message for others."""
    code = str(code or "").strip()
    reason = TWILIO_ERRORS.get(code) or message.strip().rstrip(".")
    if not code:
        return reason or "Twilio gave no reason"
    return f"{reason} (Twilio {code})" if reason else f"Twilio error {code}"
