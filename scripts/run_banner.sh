#!/usr/bin/env bash
# What `make run` says once the app is ready to start: where it is, and where emails go. The dev
# inbox is named only when it is in use: EMAIL_PROVIDER unset (settings' default with DEBUG on)
# or `inbox`. With SES or SMTP, login codes arrive by real email and /dev/inbox/ holds nothing.
set -euo pipefail
provider="${EMAIL_PROVIDER:-inbox}"
echo
echo "  Postman is running at  http://127.0.0.1:${PORT}/"
if [ "${provider}" = "inbox" ]; then
  echo "  Dev inbox (login codes) http://127.0.0.1:${PORT}/dev/inbox/"
else
  echo "  Emails, login codes too, go out through ${provider} (EMAIL_PROVIDER=${provider})."
fi
echo "  Press Ctrl-C to stop."
echo
