"""One table of cases for both renderers: the server's (campaigns/templating.py) and the browser's
(static/js/protected/render.js, run with Node), so a protected message filled in the officer's
browser follows the same escaping and link rules as any email Postman renders."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from channels_email.templating import compile_email_body, html_value, sanitize_email_html
from protected_email.selectors import template_parts

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "render_cases.json").read_text())
RENDER_JS = Path(settings.BASE_DIR) / "static" / "js" / "protected" / "render.js"
NODE_SCRIPT = """
const fs = require("fs");
require(process.argv[1]);
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const render = globalThis.PostmanRender.renderParts;
process.stdout.write(JSON.stringify(cases.map((c) => render(c.parts, c.values))));
"""


def _compiled(template: str) -> Any:
    return compile_email_body(sanitize_email_html(template))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_python_renderer(case: dict[str, Any]) -> None:
    assert _compiled(case["template"]).render(case["values"], fill=html_value) == case["expected"]


def test_javascript_renderer_matches_every_case() -> None:
    node = shutil.which("node")
    assert node, "Node.js runs the browser renderer's half of these cases"
    given = [
        {"parts": template_parts(_compiled(case["template"])), "values": case["values"]} for case in CASES
    ]

    done = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(RENDER_JS)],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    rendered = json.loads(done.stdout)
    assert {c["name"]: r for c, r in zip(CASES, rendered, strict=True)} == {
        c["name"]: c["expected"] for c in CASES
    }
