"""The browser's crypto.js (run with Node's WebCrypto) and the server-side description of it agree:
same verifier from the same password, and a payload altered by one bit does not decrypt."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings

from tests.protected_email.sealing import seal

CRYPTO_JS = Path(settings.BASE_DIR) / "static" / "js" / "protected" / "crypto.js"
NODE_SCRIPT = """
require(process.argv[1]);
const P = globalThis.PostmanProtect;
const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
(async () => {
  const out = [];
  for (const item of c) {
    const { key, verifier } = await P.deriveKeys(item.password, item.id, item.iterations);
    let text = null;
    try { text = await P.decryptMessage(item.payload, key, item.id); } catch (e) { text = "ERROR:" + e.name; }
    out.push({ verifier, text });
  }
  process.stdout.write(JSON.stringify(out));
})();
"""
MESSAGE_ID = "0b7e2f1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def _run(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    node = shutil.which("node")
    assert node, "Node.js runs the browser's crypto.js"
    done = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(CRYPTO_JS)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: list[dict[str, str]] = json.loads(done.stdout)
    return result


def test_browser_crypto_opens_and_refuses_tampering() -> None:
    sealed = seal("<p>Result: négatif</p>", "correct horse", MESSAGE_ID, iterations=1000)
    raw = bytearray(base64.b64decode(sealed["payload"]))
    raw[20] ^= 1
    tampered = base64.b64encode(bytes(raw)).decode()
    base = {"password": "correct horse", "id": MESSAGE_ID, "iterations": 1000}

    good, altered, moved = _run(
        [
            base | {"payload": sealed["payload"]},
            base | {"payload": tampered},
            base | {"payload": sealed["payload"], "id": "ffffffff-3c4d-4e5f-8a9b-0c1d2e3f4a5b"},
        ]
    )

    assert good == {"verifier": sealed["verifier"], "text": "<p>Result: négatif</p>"}
    assert altered["text"] == "ERROR:OperationError"
    assert moved["text"] == "ERROR:OperationError"
