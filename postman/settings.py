"""Postman settings: one file, read top to bottom, configured by environment variables.

Every variable has a safe development default. With DEBUG off, a missing secret or host
raises ImproperlyConfigured instead of starting with a development value.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

# Lets generic classes such as ModelAdmin[Model] be subscripted at run time, for typing.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no setting; a value that is neither stops the start instead of meaning "no"."""
    value = env(name, "1" if default else "0").strip().lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no or on/off, not {value!r}.")
    return value in _TRUE


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Off unless asked for: `make run` and the tests turn it on; production never does.
DEBUG = env_bool("DEBUG", False)

_DEV_SECRET = "dev-only-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
# Earlier keys, comma-separated: what they signed (sessions, unsubscribe links, Twilio callback
# URLs) is still accepted, and only SECRET_KEY signs anything new. Rotate by moving the old key here.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The public address of the site, used in links inside emails (unsubscribe, login).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_prose_editor",  # its ProseMirror bundle, served from our own static files
    "accounts",
    "campaigns",
    "channels_email",
    "channels_sms",
    "channels_telegram",
    "protected_email",
    # The fake SES/Twilio server's management command, for development and tests only.
    *(["fake_provider"] if DEBUG else []),
    "ninja",
    "api",
    "webhooks",
    "retention",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.middleware.AuditMiddleware",
]

ROOT_URLCONF = "postman.urls"
WSGI_APPLICATION = "postman.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postman"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# Prefix of every key Postman keeps in Redis (cache, rate windows, progress), so a test run
# and a development server can share one Redis without touching each other's keys.
REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", "postman")
# Rate limits (login codes, API) live in this cache, so it must be shared by every process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_KEY_PREFIX,
    }
}

# --- Accounts and login by code ----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LOGIN_URL = "account_request_login_code"
LOGIN_REDIRECT_URL = "campaigns:dashboard"
# A leading dot means that domain and all its subdomains; otherwise the exact domain.
ALLOWED_EMAIL_DOMAINS = env_list("ALLOWED_EMAIL_DOMAINS", ".gov.sg")

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"request_login_code": "accounts.forms.AgencyLoginCodeForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"length": 6, "numeric": False, "dashed": False}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Postman] "
# TLS-terminating proxies of our own in front of the app (0: clients connect directly). The
# client's address is taken from X-Forwarded-For that many entries from the right (common.clientip),
# for allauth's per-IP limits (through the adapter; its own setting is kept in step).
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_RATE_LIMITS = {
    # One new code per address every 30 s and 10 an hour; 20 a minute from one IP.
    "request_login_code": "20/m/ip,1/30s/key,10/h/key",
    "login_failed": "10/m/ip,5/5m/key",
}

# Sessions end after 24 h idle; the cookie is refreshed on every request.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = 24 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True

# --- Security headers --------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = 0 if DEBUG else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# --- Static and uploaded files -----------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Uploaded files (recipient lists, API attachments, agency logos) are private: no URL serves
# them by path. Tasks and owner-checked views read them through the storage API only, so any
# worker host reads what the web stored. "local": a folder (shared by every host, e.g. a
# volume); "s3": an S3 bucket through django-storages, private, read with credentials.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGE_BACKEND = env("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "local":
    _uploads: dict[str, object] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Not world-readable: lists hold citizens' personal data. MEDIA_ROOT is its location.
        "OPTIONS": {"file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
    }
elif STORAGE_BACKEND == "s3":
    if not env("S3_BUCKET"):
        raise ImproperlyConfigured("S3_BUCKET must be set when STORAGE_BACKEND is s3.")
    _uploads = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "region_name": env("S3_REGION", env("AWS_REGION", "ap-southeast-1")),
            "endpoint_url": env("S3_ENDPOINT_URL") or None,
            "location": env("S3_PREFIX", ""),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be local or s3.")
STORAGES = {
    "default": _uploads,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The ingest task reads a recipient file in a child process bounded in time and in memory (beyond
# what the reader starts with); past either the file is refused with a message saying which.
INGEST_TIME_LIMIT_SECONDS = float(env("INGEST_TIME_LIMIT_SECONDS", "600"))
INGEST_MEMORY_LIMIT_MB = int(env("INGEST_MEMORY_LIMIT_MB", "1024"))
# Files in one request are cut off while they stream in (common.uploads), never written past
# these: a recipient list (200 MB), or an API email's attachments (10 MB in all).
UPLOAD_MAX_BYTES = 200 * 1024 * 1024
API_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "common.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Uploads stream to disk above this size instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LANGUAGE_CODE = "en-sg"
# 24-hour times wherever no format is named (the admin, `{{ a_datetime }}`): postman/formats/en.
FORMAT_MODULE_PATH = ["postman.formats"]
TIME_ZONE = "Asia/Singapore"
USE_I18N = True
USE_TZ = True

# --- Email -------------------------------------------------------------------------------
# inbox: stored in the database and shown at /dev/inbox/ (development only, its default);
# ses: Amazon SES v2 through boto3; smtp: any SMTP server.
# The inbox shows login codes to whoever opens /dev/inbox/, so it exists only with DEBUG on.
EMAIL_PROVIDER = env("EMAIL_PROVIDER", "inbox" if DEBUG else "")
if DEBUG and EMAIL_PROVIDER not in {"inbox", "ses", "smtp"}:
    raise ImproperlyConfigured("EMAIL_PROVIDER must be inbox, ses or smtp.")
if not DEBUG and EMAIL_PROVIDER not in {"ses", "smtp"}:
    raise ImproperlyConfigured(
        "EMAIL_PROVIDER must be ses or smtp when DEBUG is off: the dev inbox is for development only."
    )
EMAIL_BACKEND = "channels_email.backends.ProviderEmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Postman <donotreply@postman.example.gov.sg>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_MAX_SEND_RATE = int(env("EMAIL_MAX_SEND_RATE", "500"))
AWS_REGION = env("AWS_REGION", "ap-southeast-1")
SES_ENDPOINT_URL = env("SES_ENDPOINT_URL", "") or None
SES_CONFIGURATION_SET = env("SES_CONFIGURATION_SET", "")
# Campaign emails go out through SendBulkEmail, up to 50 recipients a call, where the template allows.
SES_BULK_SEND = env_bool("SES_BULK_SEND", True)
# SES delivery events arrive through Amazon SNS at /events/ses/. Any AWS account can sign an SNS
# message, so only these topics are accepted (comma-separated ARNs; none set: every post refused).
SES_SNS_TOPIC_ARNS = env_list("SES_SNS_TOPIC_ARNS", "")
SMTP_HOST = env("SMTP_HOST", "127.0.0.1")
SMTP_PORT = int(env("SMTP_PORT", "25"))
SMTP_USER = env("SMTP_USER", "")
SMTP_PASSWORD = env("SMTP_PASSWORD", "")
SMTP_USE_TLS = env_bool("SMTP_USE_TLS", False)

# --- SMS ---------------------------------------------------------------------------------
# Officers send through their own Twilio accounts (SMS settings). Another Twilio API base URL,
# e.g. the fake provider http://127.0.0.1:8025; empty means Twilio itself.
TWILIO_BASE_URL = env("TWILIO_BASE_URL", "").rstrip("/")
# Messages per second of an SMS campaign unless its officer picks another rate.
SMS_DEFAULT_RATE = int(env("SMS_DEFAULT_RATE", "10"))
# Test SMS an officer may send in any hour (to their own verified mobile only).
SMS_TESTS_PER_HOUR = int(env("SMS_TESTS_PER_HOUR", "10"))
# Fernet keys for officers' Twilio secrets, comma-separated: the first encrypts, every one
# decrypts, so a new key goes first and `manage.py rotate_sms_credentials` moves secrets to it.
SMS_CREDENTIAL_KEYS = env_list("SMS_CREDENTIAL_KEYS", "")
if not SMS_CREDENTIAL_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("SMS_CREDENTIAL_KEYS must be set when DEBUG is off.")
    _derived = hashlib.sha256(f"postman.sms-credential-key:{SECRET_KEY}".encode()).digest()
    SMS_CREDENTIAL_KEYS = [base64.urlsafe_b64encode(_derived).decode()]

# --- Telegram ----------------------------------------------------------------------------
# Officers send through their own bots (Telegram settings). Another Bot API address, e.g. the
# fake provider http://127.0.0.1:8025; empty means Telegram itself.
TELEGRAM_API_BASE_URL = env("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/")
# Telegram's own limit for one bot's broadcasts; officers may pick a lower rate per bot.
TELEGRAM_MAX_RATE = 30
# Fernet keys for bots' tokens, comma-separated: the first encrypts, every one decrypts. Kept
# apart from SMS_CREDENTIAL_KEYS so a leaked or rotated key touches one channel's secrets only.
TELEGRAM_CREDENTIAL_KEYS = env_list("TELEGRAM_CREDENTIAL_KEYS", "")
if not TELEGRAM_CREDENTIAL_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("TELEGRAM_CREDENTIAL_KEYS must be set when DEBUG is off.")
    _derived = hashlib.sha256(f"postman.telegram-credential-key:{SECRET_KEY}".encode()).digest()
    TELEGRAM_CREDENTIAL_KEYS = [base64.urlsafe_b64encode(_derived).decode()]

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Every task is acknowledged once it has run, so a worker lost mid-task hands it back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queues, each with workers of its own (Procfile, docker-compose), so sending never holds up
# the rest: "campaigns" only sends campaign batches; "control" (the default) launches due
# campaigns, sweeps, applies delivery callbacks and emails owners; "ingest" reads uploads;
# "transactional" sends API messages; "webhooks" calls agencies' servers.
CELERY_TASK_DEFAULT_QUEUE = "control"
# A task a dead worker took is handed out again after this. Sending does not wait for it (the
# sweeper restarts a campaign once its heartbeat stops); it must outlast the longest task, the
# ingest's time limit, or a running task would be handed to a second worker.
CELERY_VISIBILITY_TIMEOUT_SECONDS = int(
    env("CELERY_VISIBILITY_TIMEOUT_SECONDS", str(int(INGEST_TIME_LIMIT_SECONDS) + 60))
)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
CELERY_TIMEZONE = "UTC"
# Most sending tasks a campaign starts (one per 50/s of its rate); each claims its own batches.
# Eight fill one campaigns worker (the Procfile's: eight threads in one process), so a
# full-speed campaign can use all of it while a slow one holds a single thread.
CAMPAIGN_SEND_CONCURRENCY = int(env("CAMPAIGN_SEND_CONCURRENCY", "8"))
# A sending task works this long, stopping mid-batch if need be, then hands over to a fresh
# task at the back of the queue: campaigns beyond the worker's slots take turns every slice.
CAMPAIGN_SEND_SLICE_SECONDS = float(env("CAMPAIGN_SEND_SLICE_SECONDS", "10"))
# A claimed batch is a few seconds of sending at the campaign's rate (never over 200 messages).
CAMPAIGN_BATCH_SECONDS = float(env("CAMPAIGN_BATCH_SECONDS", "5"))
# A worker renews the lease on the rows it claimed every third of this while it sends; rows
# whose lease ran out (their worker died or hung) go back to the queue at the next sweep.
CAMPAIGN_LEASE_SECONDS = int(env("CAMPAIGN_LEASE_SECONDS", "30"))
# A sending campaign with no task's heartbeat for this long is restarted by the sweeper.
CAMPAIGN_HEARTBEAT_SECONDS = int(env("CAMPAIGN_HEARTBEAT_SECONDS", str(CAMPAIGN_LEASE_SECONDS)))
# How often the sweeper runs: a killed worker's campaign resumes within about
# max(lease, heartbeat) + this.
CAMPAIGN_SWEEP_SECONDS = float(env("CAMPAIGN_SWEEP_SECONDS", "10"))
CELERY_TASK_ROUTES = {
    "campaigns.send_campaign": {"queue": "campaigns"},
    "campaigns.ingest_recipient_file": {"queue": "ingest"},
    # Single API messages have a worker of their own (Procfile, docker-compose), so a big
    # campaign holding every campaign slot never delays them.
    "api.send_transactional_email": {"queue": "transactional"},
    "api.send_transactional_sms": {"queue": "transactional"},
    # Calls to agencies' own servers wait on them (up to 10 s each): a queue and worker of
    # their own, so a slow receiver never delays a message.
    "webhooks.attempt_delivery": {"queue": "webhooks"},
    "webhooks.purge_old_events": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Every CAMPAIGN_SWEEP_SECONDS: requeue messages whose worker stopped renewing their lease
    # and restart sending campaigns that lost their task.
    "campaigns.sweep_stale_batches": {
        "task": "campaigns.sweep_stale_batches",
        "schedule": CAMPAIGN_SWEEP_SECONDS,
    },
    # Hourly: delete protected messages' ciphertext past their agency's retention.
    "protected_email.expire_payloads": {"task": "protected_email.expire_payloads", "schedule": 3600.0},
    # At the start of every minute: start scheduled campaigns whose time has come (times are
    # entered to the minute). A row lock makes each start once, even with two beats running.
    "campaigns.launch_due_campaigns": {
        "task": "campaigns.launch_due_campaigns",
        # No expiry: a launch that waited is late, never dropped; the next tick launches it anyway.
        "schedule": crontab(minute="*"),
    },
    # Daily at 09:00 Singapore time: email owners whose API keys expire in 28, 14, 3 or 1 days.
    "api.remind_expiring_keys": {"task": "api.remind_expiring_keys", "schedule": crontab(hour=1, minute=0)},
    # Hourly: forget Idempotency-Key responses older than 24 hours.
    "api.purge_idempotency_records": {"task": "api.purge_idempotency_records", "schedule": 3600.0},
    # Every minute: resend API messages still accepted 5 minutes on (their task was lost).
    "api.requeue_stalled_messages": {"task": "api.requeue_stalled_messages", "schedule": 60.0},
    # Hourly: forget Telegram update ids older than a week (Telegram redelivers for a day at most).
    "channels_telegram.forget_old_updates": {
        "task": "channels_telegram.forget_old_updates",
        "schedule": 3600.0,
    },
    # Every 10 s: queue webhook deliveries whose retry is due (or whose task was lost). Retries
    # are rows in PostgreSQL, not Celery ETA tasks: see webhooks/delivery.py for why. On the
    # control queue, so slow receivers never hold it up; a tick that waited still runs (claims
    # make a late or doubled one harmless).
    "webhooks.send_due_deliveries": {"task": "webhooks.send_due_deliveries", "schedule": 10.0},
    # Daily at 03:30 Singapore time: forget webhook events and their delivery records after
    # WEBHOOKS_RETENTION_DAYS.
    "webhooks.purge_old_events": {
        "task": "webhooks.purge_old_events",
        "schedule": crontab(hour=19, minute=30),
    },
    # Daily at 05:00 Singapore time: ask SES again about every granted from address, so the
    # API stops sending from one whose verification or DKIM lapsed (launches check each time).
    "channels_email.recheck_sender_addresses": {
        "task": "channels_email.recheck_sender_addresses",
        "schedule": crontab(hour=21, minute=0),
    },
    # Daily at 04:00 Singapore time: delete recipients' personal data past each agency's
    # retention period (retention/services.py); a run cut short is finished by the next.
    "retention.purge_expired_data": {
        "task": "retention.purge_expired_data",
        "schedule": crontab(hour=20, minute=0),
    },
}

# --- Programmatic API (/api/v1, compatible with Postman's v1 API) ------------------------
# Keys look like postman_<environment>_<random>; "test" in development, "live" in production.
API_KEY_ENVIRONMENT = env("API_KEY_ENVIRONMENT", "test" if DEBUG else "live")
# A new key is valid this many months unless its creator picks another term.
API_KEY_VALIDITY_MONTHS = int(env("API_KEY_VALIDITY_MONTHS", "6"))
API_KEY_REMINDER_DAYS = (28, 14, 3, 1)
# Requests per second per officer (all their keys together), unless an admin sets an officer's
# own rate (API settings).
API_DEFAULT_RATE_PER_SECOND = int(env("API_DEFAULT_RATE_PER_SECOND", "10"))
# Active (unrevoked, unexpired) keys an officer may hold, unless an admin sets their own cap.
API_MAX_ACTIVE_KEYS = int(env("API_MAX_ACTIVE_KEYS", "10"))
# Transactional emails per second across all workers: the API's share of EMAIL_MAX_SEND_RATE,
# the provider account's ceiling that campaign and API emails take from together.
API_EMAIL_MAX_SEND_RATE = int(env("API_EMAIL_MAX_SEND_RATE", "50"))
# SES configuration set for messages sent with disable_tracking (none: the default set).
SES_NO_TRACKING_CONFIGURATION_SET = env("SES_NO_TRACKING_CONFIGURATION_SET", "")

# --- Delivery webhooks (calls to agencies' own systems) ---------------------------------
# Fernet keys for endpoints' signing secrets, comma-separated: the first encrypts, every one
# decrypts; add a new key first, run `manage.py rotate_webhook_secrets`, then drop the old one.
WEBHOOKS_SECRET_KEYS = env_list("WEBHOOKS_SECRET_KEYS", "")
if not WEBHOOKS_SECRET_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("WEBHOOKS_SECRET_KEYS must be set when DEBUG is off.")
    _derived = hashlib.sha256(f"postman.webhook-secret-key:{SECRET_KEY}".encode()).digest()
    WEBHOOKS_SECRET_KEYS = [base64.urlsafe_b64encode(_derived).decode()]
# Lets callback URLs point at this machine (http://127.0.0.1:…) for local development and
# tests. Never in production: a callback to loopback reaches our own services.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
if WEBHOOKS_ALLOW_LOOPBACK and not DEBUG:
    raise ImproperlyConfigured("WEBHOOKS_ALLOW_LOOPBACK must not be set when DEBUG is off.")
# Events and their delivery records (attempts, answers) are kept this many days.
WEBHOOKS_RETENTION_DAYS = int(env("WEBHOOKS_RETENTION_DAYS", "30"))

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # twilio logs every API request at INFO: a line per SMS at campaign rates.
    "loggers": {"twilio.http_client": {"level": "WARNING"}},
}
