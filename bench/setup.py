from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
DATABASE = os.environ.get("BENCH_DATABASE", "postman_bench")


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postman")
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{DATABASE}" + (f"?{query}" if query else "")


def _create_database() -> None:
    config = dj_database_url.parse(bench_database_url())
    params: dict[str, object] = {
        "dbname": "postgres",
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
    }
    params["host"] = config.get("OPTIONS", {}).get("host") or config["HOST"] or None
    params["port"] = config["PORT"] or None
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v})
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {DATABASE}")
    conn.close()


def prepare_django() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    _create_database()
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("REDIS_KEY_PREFIX", "bench")
    # Benchmarks run the development configuration (dev inbox, fake provider), as they always have.
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postman.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def reset_data() -> None:
    """Each measurement starts from empty tables, with no other campaign to send or sweep."""
    from django.conf import settings
    from django.db import connection
    from redis import Redis

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_message, campaigns_campaignstats, campaigns_recipientfile, "
            "campaigns_campaign CASCADE"
        )
    redis = Redis.from_url(settings.REDIS_URL)
    for key in redis.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}:*", count=1000):
        redis.delete(key)
