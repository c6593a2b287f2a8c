"""A loopback stand-in for Amazon SES v2, the Twilio Messages API and the Telegram Bot API.

Development and tests send real boto3/twilio calls here instead of to AWS or
Twilio. The server is stdlib-only (no Django import at module level), so it runs
three ways: ``python -m fake_provider --port 8025 --log var/fake_provider.jsonl``,
``manage.py fake_provider --port 8025``, or in-process via
``fake_provider.server.FakeProvider``.

How to point clients here
-------------------------
boto3 (SES v2): pass ``endpoint_url``; any credentials are accepted except the
access key ``bad-key``, which gets ``UnrecognizedClientException``::

    ses = boto3.client(
        "sesv2",
        endpoint_url="http://127.0.0.1:8025",
        region_name="ap-southeast-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )

``send_email`` and ``send_bulk_email`` (inline ``TemplateContent``, each entry rendered, drawn
and logged on its own; see ``ses.py``) are answered; ``ses_rejected_addresses`` and
``ses_bulk_call_failures`` in the config inject per-address and whole-call failures.

twilio 9.x: every request URL is built from the public ``base_url`` of the API
domain (``twilio.base.domain.Domain.absolute_url``), so replace it after
building the client. Leave ``edge``/``region`` unset: they rewrite the host name
and would mangle ``127.0.0.1``. The auth token ``bad-token`` gets 401 / 20003::

    client = twilio.rest.Client("AC" + "0" * 32, "token")
    client.api.base_url = "http://127.0.0.1:8025"
    client.messages.create(to="+6591234567", from_="+6560000000", body="Hi")

Telegram: set ``TELEGRAM_API_BASE_URL=http://127.0.0.1:8025``; calls go to
``/bot<token>/<method>``. The ``telegram_bots`` config lists valid tokens (when empty, any
well-formed token is a bot). Play residents with ``fake.telegram.resident("name_bot",
user_id=1, phone="+6591234567").start()`` (then ``share_contact()``, ``stop()``...) or
``POST /_fake/telegram/residents``; see ``telegram_world.py``.

Control API (JSON): ``GET|DELETE /_fake/messages`` (``?since=N&channel=sms``),
``GET /_fake/stats``, ``GET|POST|DELETE /_fake/config``. See ``server.py``.
"""
