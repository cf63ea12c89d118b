"""Browser test: the PDF report downloaded from the Results page of the real app, in Chromium.

AppTest cannot click a download button, so this journey does it the way a user does: get a
recommendation, type who prepared the report, prepare it, download it, and open the file.
Run with ``pytest -m browser``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest

from tests.conftest import ARTIFACTS, settle
from tests.test_browser import chromium_page

VIEWPORT = {"width": 1400, "height": 1400}
REPORT_TIMEOUT_MS = 90_000  # evaluating and laying out the report on a busy two-core machine

pytestmark = pytest.mark.browser


@pytest.fixture
def page(chromium_path: Path, server_url: str) -> Iterator[object]:
    """A fresh Chromium page (a new Streamlit session) that accepts downloads."""
    with chromium_page(chromium_path, server_url, viewport=VIEWPORT, timeout_ms=REPORT_TIMEOUT_MS,
                       accept_downloads=True) as tab:
        yield tab


def test_prepare_and_download_the_pdf_report(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    settle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Assess", exact=True).click()
    settle(page)
    page.get_by_role("button", name="Get recommendation").click()
    settle(page)
    page.get_by_role("tab", name="PDF report").click()  # the toolbar under the headline
    expect(page.get_by_role("button", name="Prepare PDF report")).to_be_visible()
    expect(page.get_by_role("button", name="Download PDF report")).to_have_count(0)  # built only when asked

    author = page.get_by_label("Prepared by (optional)")
    author.fill("Zoë Facilitator")
    page.get_by_role("button", name="Prepare PDF report").click()
    settle(page)
    download_button = page.get_by_role("button", name="Download PDF report")
    download_button.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-report.png"))
    with page.expect_download() as downloading:
        download_button.click()
    download = downloading.value
    assert download.suggested_filename.startswith("new-project-recommendation-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    settle(page)

    reader = pypdf.PdfReader(io.BytesIO(target.read_bytes()))
    first = reader.pages[0].extract_text()
    assert "Zoë Facilitator" in first
    expected = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert f"Recommended: {expected}" in first  # the same recommendation as the page shows
    assert len(reader.pages) >= 5
