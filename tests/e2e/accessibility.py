"""axe-core on every page a browser test sees: each main-frame load, each region htmx swaps in
(once per swapped element and page), and the final DOM when the test ends.

Serious and critical violations are collected and fail the test at teardown, named by rule, impact,
target selector and address. A test opts out of named rules only, saying why:
`@pytest.mark.axe_exempt(rules=["nested-interactive"], reason="...")`; every other rule still runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Error, Page

FAILING_IMPACTS = frozenset({"serious", "critical"})
AXE = Axe()
# Every rule axe ships except the experimental ones: WCAG 2.0/2.1 A and AA plus best practice.
OPTIONS: dict[str, Any] = {"resultTypes": ["violations"]}

# htmx fires htmx:afterSettle on the swapped element once its new content has settled; the page
# tells the test which element that was, by id or tag, so each swapped region is checked once.
HTMX_HOOK = """
document.addEventListener("htmx:afterSettle", (event) => {
  const el = event.detail && event.detail.elt;
  const key = el ? (el.id || el.tagName) : "document";
  if (window.__axeSwapped) window.__axeSwapped(key);
});
"""


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    target: str
    url: str
    help: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}) at {self.target} on {self.url}: {self.help}"


def serious_violations(page: Page) -> list[Violation]:
    """axe's serious and critical violations on the page as it is now; none for non-HTML answers."""
    if page.evaluate("document.contentType") != "text/html":
        return []
    response = AXE.run(page, options=OPTIONS).response
    return [
        Violation(rule["id"], rule["impact"], " ".join(map(str, node["target"])), page.url, rule["help"])
        for rule in response["violations"]
        if rule["impact"] in FAILING_IMPACTS
        for node in rule["nodes"]
    ]


@dataclass
class AxeAudit:
    """Watches every page of one browser context and keeps what axe found, without duplicates."""

    exempt_rules: frozenset[str] = frozenset()
    found: dict[tuple[str, str, str], Violation] = field(default_factory=dict)
    pages_checked: int = 0
    swaps_seen: set[tuple[str, str]] = field(default_factory=set)
    running: bool = False
    again: set[Page] = field(default_factory=set)

    def watch(self, context: BrowserContext) -> None:
        context.expose_binding("__axeSwapped", self._on_swap)
        context.add_init_script(HTMX_HOOK)
        context.on("page", self._watch_page)

    def _watch_page(self, page: Page) -> None:
        page.on("load", self.check)

    def _on_swap(self, source: dict[str, Any], key: str) -> None:
        page = source["page"]
        if (page.url, key) not in self.swaps_seen:
            self.swaps_seen.add((page.url, key))
            self.check(page)

    def check(self, page: Page) -> None:
        # A swap can settle while axe runs (Playwright delivers its event then); axe refuses a
        # second run at once, so the page is checked again as soon as the first run ends.
        if self.running:
            self.again.add(page)
            return
        self.running = True
        try:
            self._check(page)
        finally:
            self.running = False
        while self.again:
            self.check(self.again.pop())

    def _check(self, page: Page) -> None:
        try:
            violations = serious_violations(page)
        except Error as error:
            # The test moved on (navigated or closed the page) while axe ran; the next page's load
            # and the final check at teardown cover what it moved to.
            if any(word in str(error) for word in ("context was destroyed", "closed", "detached")):
                return
            raise
        self.pages_checked += 1
        for violation in violations:
            if violation.rule in self.exempt_rules:
                continue
            self.found.setdefault((violation.rule, violation.target, violation.url), violation)

    def check_open_pages(self, context: BrowserContext) -> None:
        for page in context.pages:
            if not page.is_closed() and page.url != "about:blank":
                self.check(page)

    def report(self) -> str:
        lines = [str(v) for v in self.found.values()]
        return f"axe found {len(lines)} serious or critical violation(s):\n" + "\n".join(lines)
