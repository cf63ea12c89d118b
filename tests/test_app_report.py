"""App tests of the PDF report on the Results page: built on demand, downloadable, and comparing with the
project's previous saved assessment.
"""

from __future__ import annotations

import io

import pypdf
from streamlit.testing.v1 import AppTest

from planner import history, store
from planner.decide.scoring import recommend
from planner.inputs.files import load_presets
from tests.conftest import open_sections
from ui.report_view import REPORT_KEY

PREPARE = "report.prepare"


def get_recommendation(at: AppTest) -> None:
    """Submit the answers, then stay on the Results page as the sidebar would (AppTest reruns the default page)."""
    at.button(key="a.submit").click().run()
    assert not at.exception, at.exception
    at.switch_page("pages/results.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Recommendation"]


def built_pdf(at: AppTest) -> tuple[str, bytes]:
    """The file name and bytes of the report the session holds."""
    _, filename, pdf = at.session_state[REPORT_KEY]
    return filename, pdf


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_report_is_built_only_when_asked_then_kept_for_download(app: AppTest) -> None:
    get_recommendation(app)
    assert app.text_input(key="report.author").value == ""
    assert not [b for b in app.download_button if b.key == "report.download"]  # nothing built on a plain run
    assert REPORT_KEY not in app.session_state
    app.text_input(key="report.author").input("Zoë Facilitator")
    app.button(key=PREPARE).click().run()
    assert not app.exception, app.exception
    assert not app.error
    download = app.download_button(key="report.download")
    assert download.label == "Download PDF report"
    filename, pdf = built_pdf(app)
    assert filename.startswith("new-project-recommendation-") and filename.endswith(".pdf")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Zoë Facilitator" in text
    assert f"Recommended: {app.metric[0].value}" in text  # the same recommendation as the page shows
    assert "What changed since the previous assessment" not in text  # nothing saved before

    app.run()  # another run of the page (any widget) keeps the report without building it again
    assert not app.exception
    assert built_pdf(app) == (filename, pdf)
    assert app.download_button(key="report.download")

    app.text_input(key="report.author").input("Someone else")
    app.button(key=PREPARE).click().run()
    assert not app.exception
    assert "Someone else" in pdf_text(built_pdf(app)[1])


def test_the_report_compares_with_the_projects_previous_assessment(app: AppTest, temp_database: str) -> None:
    earlier = load_presets()["blank"]
    earlier = earlier.model_copy(update={"label": "Last quarter",
                                         "workload": earlier.workload.model_copy(update={"peak_requests_per_s": 9.0})})
    engine = store.get_engine(temp_database)
    saved_id = history.save_evaluated(engine, earlier, recommend(earlier), None)
    get_recommendation(app)
    app.button(key=PREPARE).click().run()
    assert not app.exception, app.exception
    text = " ".join(pdf_text(built_pdf(app)[1]).split())
    assert "What changed since the previous assessment" in text
    assert f"Compared with assessment #{saved_id} “Last quarter”" in text
    assert "Peak traffic (requests/s) 9 15" in text


def test_a_what_if_report_says_what_it_varies(app: AppTest) -> None:
    get_recommendation(app)
    open_sections(app)
    app.number_input(key="whatif.traffic").set_value(2.0)
    app.button(key="FormSubmitter:whatif.form-Re-evaluate").click().run()
    assert not app.exception, app.exception
    app.button(key=PREPARE).click().run()
    assert not app.exception, app.exception
    text = " ".join(pdf_text(built_pdf(app)[1]).split())
    assert "What-if variant: these estimates are for the submitted answers with" in text
    assert "Peak traffic (requests/s) 15 → 30" in text
