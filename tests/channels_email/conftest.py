from __future__ import annotations

from typing import Any

import pytest

from tests.sns import FakeAws, aws_fixture


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeAws:
    return aws_fixture(monkeypatch, settings)
