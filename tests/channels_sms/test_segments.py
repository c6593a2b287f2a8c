from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from channels_sms.segments import SegmentCount, count_segments
from fake_provider.twilio_api import sms_segments

COUNTER_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "sms-counter.js"

# (text, characters, encoding, units, segments)
CASES = [
    pytest.param("", 0, "GSM-7", 0, 0, id="empty"),
    pytest.param("Your appointment is on Monday at 9am.", 37, "GSM-7", 37, 1, id="plain GSM"),
    pytest.param("a" * 160, 160, "GSM-7", 160, 1, id="160 GSM fits one"),
    pytest.param("a" * 161, 161, "GSM-7", 161, 2, id="161 GSM splits in two"),
    pytest.param("a" * 306, 306, "GSM-7", 306, 2, id="306 GSM is two parts of 153"),
    pytest.param("a" * 307, 307, "GSM-7", 307, 3, id="307 GSM needs a third"),
    pytest.param("Price: 5€ [approx]", 18, "GSM-7", 21, 1, id="extended count twice"),
    pytest.param("^{}\\[~]|€\f", 10, "GSM-7", 20, 1, id="every extended character"),
    pytest.param("a" * 158 + "€", 159, "GSM-7", 160, 1, id="extended at the 160 edge"),
    pytest.param("a" * 159 + "€", 160, "GSM-7", 161, 2, id="extended tips over 160"),
    pytest.param("Café at Ñandú, Zürich", 21, "UCS-2", 21, 1, id="accented outside GSM (ú)"),
    pytest.param("Café in Zürich, Åland", 21, "GSM-7", 21, 1, id="accented inside GSM"),
    pytest.param("你好\uff0c您的预约在星期一。", 12, "UCS-2", 12, 1, id="Chinese"),
    pytest.param("字" * 70, 70, "UCS-2", 70, 1, id="70 UCS-2 fits one"),
    pytest.param("字" * 71, 71, "UCS-2", 71, 2, id="71 UCS-2 splits in two"),
    pytest.param("字" * 134, 134, "UCS-2", 134, 2, id="134 UCS-2 is two parts of 67"),
    pytest.param("See you 👋", 9, "UCS-2", 10, 1, id="emoji takes two units"),
    pytest.param("👋" * 35, 35, "UCS-2", 70, 1, id="35 emoji fill one"),
    pytest.param("👋" * 36, 36, "UCS-2", 72, 2, id="36 emoji split"),
    pytest.param("a" * 1600, 1600, "GSM-7", 1600, 11, id="1600 GSM"),
    pytest.param("字" * 1600, 1600, "UCS-2", 1600, 24, id="1600 UCS-2"),
    pytest.param("Line one\nLine two", 17, "GSM-7", 17, 1, id="line break is one character"),
]


@pytest.mark.parametrize(("text", "characters", "encoding", "units", "segments"), CASES)
def test_count_segments_matches_carrier_rules(
    text: str, characters: int, encoding: str, units: int, segments: int
) -> None:
    count = count_segments(text)

    assert (count.characters, count.encoding, count.units, count.segments) == (
        characters,
        encoding,
        units,
        segments,
    )


@pytest.mark.parametrize(("text", "characters", "encoding", "units", "segments"), CASES)
def test_count_segments_agrees_with_fake_provider_billing(
    text: str, characters: int, encoding: str, units: int, segments: int
) -> None:
    if text:
        assert count_segments(text).segments == sms_segments(text)


def test_count_segments_reports_part_size_once_split() -> None:
    assert count_segments("a" * 160) == SegmentCount(160, "GSM-7", 160, 1, 160)
    assert count_segments("a" * 161).per_segment == 153
    assert count_segments("字" * 71).per_segment == 67


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the browser counter")
def test_sms_counter_js_agrees_with_server_on_every_case() -> None:
    texts = [str(param.values[0]) for param in CASES]
    script = (
        "const window = {}; const document = {addEventListener() {}};\n"
        + COUNTER_JS.read_text()
        + "\nconst texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        + "\nconsole.log(JSON.stringify(texts.map((t) => window.postmanSmsSegments(t))));"
    )

    run = subprocess.run(
        ["node", "-e", script], input=json.dumps(texts), capture_output=True, text=True, check=True
    )

    in_browser = json.loads(run.stdout)
    on_server = [count_segments(text) for text in texts]
    assert [(c["characters"], c["encoding"], c["units"], c["segments"]) for c in in_browser] == [
        (c.characters, c.encoding, c.units, c.segments) for c in on_server
    ]
