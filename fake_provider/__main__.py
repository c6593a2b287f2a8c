"""``python -m fake_provider --port 8025 --log var/fake_provider.jsonl``."""

from __future__ import annotations

import argparse

from fake_provider.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="fake_provider", description="Fake SES v2, Twilio and Telegram Bot API server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--log", dest="log_path", help="append accepted messages here as JSON lines")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.log_path)


if __name__ == "__main__":
    main()
