"""Browser test: decision records and improvement items downloaded from History in Chromium, as a user does.

A project of three saved assessments (monolith, monolith, microservices) under a hostile name: History lists
records 0001 (superseded) and 0002, downloads the newest record and the zip with the index, and the items CSV;
each file is opened and read. Run with ``pytest -m browser``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from planner import history, store
from planner.decide.scoring import recommend
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from planner.present.decision_records import file_name
from tests.conftest import ARTIFACTS, serve_app, settle
from tests.test_browser import chromium_page, nav

HOSTILE = "**x** [y](javascript:z)"
VIEWPORT = {"width": 1280, "height": 1000}
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.browser


def _saved(url: str, preset: str, label: str, on: date) -> None:
    data = load_presets()[preset].model_dump(mode="json")
    data.update(project=HOSTILE, label=label, sourcing={"mode": "self_hosted"})
    assessment = Assessment.model_validate(data)
    history.save_evaluated(store.get_engine(url), assessment, recommend(assessment), None, today=on)


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a database that holds the three assessments."""
    database = tmp_path_factory.mktemp("adr-db") / "planner.db"
    url = f"sqlite:///{database.as_posix()}"
    _saved(url, "blank", "Q1", date(2026, 1, 5))
    _saved(url, "blank", "Q2", date(2026, 4, 5))
    _saved(url, "chatbot_daily_updates", "Q3", date(2026, 7, 5))
    store.dispose_engines()
    with serve_app(database) as served:
        yield served


@pytest.fixture
def page(chromium_path: Path, seeded_url: str) -> Iterator[object]:
    with chromium_page(chromium_path, seeded_url, viewport=VIEWPORT, timeout_ms=TIMEOUT_MS,
                       accept_downloads=True) as tab:
        yield tab


def _download(page: object, name: str, target: Path) -> Path:
    """Click the download button whose text holds ``name`` and save the file it gives."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    button = page.get_by_role("button").filter(has_text=name).first
    button.scroll_into_view_if_needed()
    with page.expect_download() as downloading:
        button.click()
    download = downloading.value
    saved = target / download.suggested_filename
    download.save_as(saved)
    return saved


def test_history_downloads_the_records_and_the_items(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    settle(page)
    nav(page, "History")
    expect(page.get_by_role("heading", name="Decision records")).to_be_visible()
    table = page.locator("table.planner-table").filter(has_text="superseded by 0002")
    expect(table).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "history-decision-records.png"))

    newest = _download(page, "Download this record", tmp_path)
    assert newest.name == file_name(2, HOSTILE)
    text = newest.read_text(encoding="utf-8")
    assert text.startswith("# 0002. Choose the architecture of \\*\\*x\\*\\* \\[y\\](javascript:z)")
    assert f"* Supersedes: [0001]({file_name(1, HOSTILE)})" in text

    bundle = _download(page, "Download every record and the index (zip)", tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        assert names == {file_name(1, HOSTILE), file_name(2, HOSTILE), "index.md"}
        assert "superseded by [0002]" in archive.read(file_name(1, HOSTILE)).decode("utf-8")

    items = _download(page, "CSV for issue trackers", tmp_path)
    rows = list(csv.DictReader(io.StringIO(items.read_text(encoding="utf-8-sig"))))
    assert rows and set(rows[0]) == {"Summary", "Description", "Labels", "Priority", "Due date", "Status"}


def test_results_download_a_proposed_record(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    settle(page)
    nav(page, "Assess")
    page.get_by_role("button", name="Get recommendation").click()
    settle(page)
    page.get_by_role("tab", name="Decision record").click()
    expect(page.get_by_role("button", name="Download decision record")).to_be_visible()
    record = _download(page, "Download decision record", tmp_path)
    assert record.name.endswith(".md") and record.name.startswith("0001-choose-the-architecture-of-")
    text = record.read_text(encoding="utf-8")
    headline = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert "* Status: proposed" in text and f"Chosen option: \"{headline}" in text
