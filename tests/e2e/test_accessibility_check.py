"""The axe check itself: it names a planted violation by rule, impact, target and address, keeps
it for the end of the test, and honours an exemption only for the rules it names."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.e2e.accessibility import AxeAudit, serious_violations

pytestmark = [pytest.mark.e2e]

PLANTED = '<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>'


def test_axe_names_a_planted_violation_and_an_exemption_covers_only_its_rules(browser: Browser) -> None:
    # A page of its own: the watched `page` fixture would run axe on the same load at the same time.
    page = browser.new_page()
    page.set_content(PLANTED)

    found = serious_violations(page)
    kept = AxeAudit()
    kept.check(page)
    exempt = AxeAudit(exempt_rules=frozenset({"image-alt"}))
    exempt.check(page)
    page.close()

    assert [(v.rule, v.impact, v.target) for v in found] == [("image-alt", "critical", "img")]
    assert [str(v) for v in kept.found.values()] == [
        "image-alt (critical) at img on about:blank: Images must have alternative text"
    ]
    assert exempt.found == {} and exempt.pages_checked == 1
