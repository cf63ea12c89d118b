"""App tests: text people type renders exactly as typed on every page, never as Markdown (issue 13 item 6).

A hostile string goes into every user-text field through the pages themselves: the project name (Home's
create form and the Assess page), the label, the notes, the report's author, an uploaded file's project,
a price list's name, a workshop participant's name and a facilitator's override note. After each step
every piece of Markdown the page sends (text, captions, alerts, headings, widget and expander labels) is
parsed as CommonMark: it must hold no image, no HTML, no link to the planted targets and no bold "b", and
its text must read as typed (word joiners aside) where the page quotes the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from planner.inputs.files import dump_assessment, load_presets
from planner.inputs.paths import data_dir
from tests.conftest import APP_TIMEOUT_S, ROOT, open_sections, tables_shown
from ui.tables import table_html
from ui.text import JOINER

HOSTILE = "![x](http://127.0.0.1:9/p.png) **b** [l](javascript:alert(1)) <img src=x onerror=alert(1)>"
HOSTILE_NAME = "![x](http://127.0.0.1:9/p.png)<img src=x onerror=alert(1)>"  # participant names: 60 characters
MARKERS = ("127.0.0.1", "javascript", "onerror")
MARKDOWN_TYPES = {"markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader",
                  "toast"}
HOME, ASSESS, RESULTS, HISTORY, SAVED = ("pages/home.py", "pages/assess.py", "pages/results.py",
                                         "pages/history.py", "pages/saved.py")
PRICES, WORKSHOP, JOIN = "pages/pricing.py", "pages/workshop.py", "pages/join.py"
COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def sources(at: AppTest) -> Iterator[str]:
    """Every string the page sends to be rendered as Markdown: element bodies and labels."""
    for node in [*at.main, *at.sidebar, *at.toast]:
        if getattr(node, "type", None) in MARKDOWN_TYPES and isinstance(getattr(node, "value", None), str):
            yield node.value
        label = getattr(node, "label", None)
        if isinstance(label, str) and label:
            yield label


def rendered_text(source: str) -> str:
    """The text a CommonMark renderer shows for a source, after checking it renders nothing planted."""
    shown = []
    for block in COMMONMARK.parse(source):
        assert block.type != "html_block", source
        children = block.children or []
        for i, token in enumerate(children):
            assert token.type not in ("image", "html_inline"), source
            if token.type == "link_open":
                assert not any(m in str(token.attrs.get("href", "")) for m in MARKERS), source
            if token.type == "strong_open":
                assert children[i + 1].content != "b", source
            if token.type in ("text", "code_inline"):
                shown.append(token.content)
        shown.append("\n")
    return "".join(shown).replace(JOINER, "")


class _HtmlText(HTMLParser):
    """The text of an ``st.html`` body, checking that it holds only the tags and attributes of the app's own
    static tables and styles (``ui.tables.table_html``): nothing typed became a tag."""

    TAGS = frozenset({"style", "div", "table", "thead", "tbody", "tr", "th", "td"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.TAGS and all(name == "class" for name, _ in attrs), (tag, attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        self.text.append("\n" if tag == "tr" else " ")

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def html_text(body: str) -> str:
    """The text an ``st.html`` body shows, after checking it holds nothing planted."""
    parser = _HtmlText()
    parser.feed(body)
    return "".join(parser.text)


def page_text(at: AppTest) -> str:
    """The page's Markdown and static tables as shown, every source checked to render nothing planted."""
    assert not at.exception, at.exception
    return "\n".join([*(rendered_text(s) for s in sources(at)), *(html_text(h.value) for h in at.get("html"))])


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def new_session(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_literal_text_check_catches_markdown() -> None:
    with pytest.raises(AssertionError):
        rendered_text(HOSTILE)


def test_the_table_check_catches_planted_tags_and_reads_escaped_text() -> None:
    with pytest.raises(AssertionError):
        html_text(f"<table><tr><td>{HOSTILE}</td></tr></table>")
    assert HOSTILE in html_text(table_html(pd.DataFrame({HOSTILE: [HOSTILE]})))


def test_every_field_renders_as_typed_on_every_page(app: AppTest) -> None:
    at = go(app, HOME)
    at.text_input(key="home.create_name").input(HOSTILE)
    at.button(key="home.create").click().run()
    assert f"Created the project “{HOSTILE}”" in page_text(at)

    go(at, ASSESS)
    for key in ("a.project", "a.label", "a.notes"):
        at.text_input(key=key).input(HOSTILE) if key != "a.notes" else at.text_area(key=key).input(HOSTILE)
    at.run()
    page_text(at)
    at.button(key="a.submit").click().run()
    assert f"{HOSTILE} · {HOSTILE}" in page_text(at)  # the Results caption
    go(at, RESULTS)  # AppTest reruns the page last switched to: make that Results
    page_text(open_sections(at))  # every section's contents too
    at.date_input(key="r.revisit_by").set_value(datetime.now(UTC).date())
    click(at, "Save assessment")
    assert f"Saved as assessment #1 of “{HOSTILE}”" in page_text(at)
    at.text_input(key="report.author").input(HOSTILE)
    click(at, "Prepare PDF report")
    page_text(at)

    go(at, HOME)
    assert f"{HOSTILE} is due" in page_text(at)  # Needs attention
    go(at, HISTORY)
    page_text(at)
    go(at, SAVED)
    page_text(at)
    at.button(key="s.open").click().run()
    assert f"Reopened saved assessment #1 (#1 {HOSTILE} · {HOSTILE}" in page_text(at)

    go(at, ASSESS)
    uploaded = load_presets()["blank"].model_copy(update={"project": HOSTILE, "notes": HOSTILE})
    at.file_uploader(key="a.upload").set_value(("plan.json", dump_assessment(uploaded, "json").encode(),
                                                  "application/json"))
    at.run()
    assert f"Imported plan.json: project “{HOSTILE}”" in page_text(at)


def test_price_list_names_render_as_typed(app: AppTest) -> None:
    at = go(app, PRICES)
    csv = (data_dir() / "instances.csv").read_bytes()
    at.file_uploader(key="p.upload").set_value(("prices.csv", csv, "text/csv")).run()
    at.text_input(key="p.name").input(HOSTILE)
    at.button(key="p.save").click().run()
    assert f"Saved price list “{HOSTILE}”" in page_text(at)
    at.selectbox(key="p.source").select(HOSTILE).run()
    at.radio(key="p.mode").set_value("Edit a table in the app").run()
    assert f"Starts from {HOSTILE}: change prices" in page_text(at)


def _answer(at: AppTest, levels: dict[str, int]) -> None:
    for key, level in levels.items():
        at.radio(key=f"wj.q.{key}").set_value(level)
    click(at, "Save my answers")


def test_workshop_names_and_notes_render_as_typed(app: AppTest) -> None:
    at = go(app, HOME)
    at.text_input(key="home.create_name").input(HOSTILE)
    at.button(key="home.create").click().run()
    host = go(new_session(), WORKSHOP)
    host.selectbox(key="wf.project").select(HOSTILE).run()
    click(host, "Create workshop")
    code: Any = host.metric[0].value
    assert f"Project “{HOSTILE}”" in page_text(host)

    people = []
    for name, level in ((HOSTILE_NAME, 0), ("Ben", 4)):
        person = go(new_session(code=code), JOIN)
        person.text_input(key="wj.name").input(name)
        click(person, "Join")
        _answer(person, {"containers": level})
        people.append(person)
    assert f"you are “{HOSTILE_NAME}”" in page_text(people[0])

    host.run()
    assert f"{HOSTILE_NAME} answered 0" in page_text(host)  # the discussion prompt names the ends
    host.selectbox(key="wf.value.cicd").select(4)
    host.text_input(key="wf.note.cicd").input(HOSTILE)
    click(host, "Save the consensus")
    page_text(host)
    click(host, "Close now")
    host.selectbox(key="wf.preset").select("blank").run()
    click(host, "Create the assessment from the consensus")
    page_text(host)
    for page in (SAVED, HISTORY):
        page_text(go(host, page))


def test_members_and_the_log_render_as_typed(app: AppTest, temp_database: str) -> None:
    from planner import store
    from tests.test_app_history import blank, seed

    engine = store.get_engine(temp_database)
    store.create_project(engine, name=HOSTILE, actor=store.LOCAL)
    planted = "![x](http://127.0.0.1:9/p.png)**b**[l](javascript:alert(1))<img/src=x/onerror=alert(1)>"
    store.set_member(engine, project=HOSTILE, member=planted, role="owner", actor=store.LOCAL)
    seed(temp_database, blank(HOSTILE).model_copy(update={"label": HOSTILE}))
    at = go(app, "pages/project.py")
    page_text(at)
    cells = [str(v) for table in tables_shown(at) for v in table.to_numpy().ravel()]
    assert HOSTILE in cells  # a static table shows the text as typed
    assert planted.lower() in [str(v) for v in at.dataframe[0].value["Member"]]  # a data frame shows plain text
