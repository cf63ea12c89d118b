"""A browser that never received a run's widgets shows the answers, never the widgets' own defaults.

Under load (``bench/bench_load.py``, 20 sessions on 2 cores) a click can interrupt a run of the Assess page
before its widgets reach the browser: Streamlit drops the queued, unsent elements when the next run starts.
The next run sends each widget with no value of its own (the server thinks the browser has it), so the
browser drew the widget at its ``default``: a number at its minimum, a choice at its first option, an empty
name. Its next message then sent those defaults back as answers: about 1 session in 20 got Results for a
peak of 0.001 requests/s, a team of 1 and every readiness level at 0. Each answer widget must therefore
carry its answer as its default, or send its value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import ElementTree

from planner.inputs.files import load_presets
from planner.inputs.models import READINESS_KEYS
from tests.conftest import open_sections
from ui import state

NOTHING_CHOSEN = ""  # how a picker with no choice reads in these comparisons (Streamlit shows "Choose an option")
KINDS = ("number_input", "text_input", "text_area", "checkbox", "selectbox", "radio", "multiselect", "slider")


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def browser_shows(widget: Any) -> Any:
    """What a browser that has no state of its own for this widget draws from its element."""
    proto = widget.proto
    if widget.type in ("selectbox", "radio"):
        if proto.set_value:
            return proto.raw_value
        return proto.options[proto.default] if proto.HasField("default") else NOTHING_CHOSEN
    if widget.type == "multiselect":
        return list(proto.raw_values) if proto.set_value else [proto.options[i] for i in proto.default]
    if widget.type == "slider":
        return list(proto.value) if proto.set_value else list(proto.default)
    if widget.type == "number_input" and not proto.HasField("value" if proto.set_value else "default"):
        return None  # drawn empty
    return proto.value if proto.set_value else proto.default


def server_holds(widget: Any) -> Any:
    """The widget's value on the server, in the form ``browser_shows`` gives."""
    if widget.type in ("selectbox", "radio"):
        shown = str(widget.format_func(widget.value))  # as the option reads
        return shown if widget.value is not None or shown in widget.options else NOTHING_CHOSEN
    if widget.type == "multiselect":
        return list(widget.values)
    if widget.type == "slider":
        return [float(widget.value)]
    if widget.type == "number_input":
        return None if widget.value is None else float(widget.value)  # the element's numbers are doubles
    return widget.value


def answer_widgets(at: AppTest) -> dict[str, Any]:
    keys = set(state.widget_keys())
    return {w.key: w for kind in KINDS for w in at.get(kind) if w.key in keys}


def widgets_of(at: AppTest, prefix: str) -> dict[str, Any]:
    return {w.key: w for kind in KINDS for w in at.get(kind) if w.key and w.key.startswith(prefix)}


def misdrawn(widgets: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Widgets a browser would draw, from their elements alone, with another value than the server holds (after a
    lost run the browser has nothing else; on a first visit neither)."""
    return {key: (browser_shows(w), server_holds(w)) for key, w in widgets.items()
            if browser_shows(w) != server_holds(w)}


def lose_the_last_run(at: AppTest) -> AppTest:
    """Run again as a browser would that never received the last run's elements: it reports no widget."""
    at._tree = ElementTree()
    at._tree._runner = at
    return ok(at.run())


@pytest.mark.parametrize("preset", sorted(load_presets()))
def test_every_answer_widget_shows_its_answer_in_a_browser_that_missed_a_run(app: AppTest, preset: str) -> None:
    app.selectbox(key="a.preset").set_value(preset)
    ok(app.button(key="a.load_preset").click().run())
    lose_the_last_run(app)
    widgets = answer_widgets(app)
    missing = set(state.widget_keys()) - set(widgets) - {state.PIPELINE_KEY}
    assert not missing, f"answer widgets the test does not read: {sorted(missing)}"
    assert not (wrong := misdrawn(widgets)), f"browser would show / server holds: {wrong}"


def test_answers_typed_before_the_lost_run_survive_the_next_click(app: AppTest) -> None:
    # The bench's sequence: a preset, a run the browser missed, then the label typed and sent with the
    # values the browser draws (numbers, texts, ticks and the readiness levels, whose options are 0, 1, ...).
    app.selectbox(key="a.preset").set_value("chatbot_daily_updates")
    ok(app.button(key="a.load_preset").click().run())
    expected = dict(app.session_state[state.ANSWERS], label="Load session 12")
    lose_the_last_run(app)
    for key, widget in answer_widgets(app).items():
        if widget.type in ("number_input", "text_input", "text_area", "checkbox"):
            widget.set_value(browser_shows(widget))
        elif key.startswith("t.") and widget.type == "radio":
            widget.set_value(list(widget.proto.options).index(browser_shows(widget)))
    app.text_input(key="a.label").input("Load session 12")
    ok(app.run())
    assert app.session_state[state.ANSWERS] == expected


def test_the_serving_calculator_keeps_its_inputs_in_a_browser_that_missed_a_run(app: AppTest) -> None:
    page = ok(app.switch_page("pages/serving.py").run())
    # A first visit draws what the server holds: "Auto" and "Default (FP8)", never "Choose an option", which is
    # how Streamlit draws a None value (the pickers' automatic choice was None until this test).
    first = widgets_of(page, "sc.")
    assert not (wrong := misdrawn(first)), f"browser would show / server holds: {wrong}"
    assert (browser_shows(first["sc.tp"]), browser_shows(first["sc.kv"])) == ("Auto", "Default (FP8)")
    page.number_input(key="sc.gpus").set_value(4)
    page.number_input(key="sc.input").set_value(3000)
    page.number_input(key="sc.concurrency").set_value(8)
    page.selectbox(key="sc.gpu").set_value("A100-80GB")
    ok(page.run())
    lose_the_last_run(page)
    widgets = widgets_of(page, "sc.")
    assert {"sc.gpus", "sc.input", "sc.concurrency", "sc.gpu", "sc.prefix", "sc.ep"} <= set(widgets)
    assert not (wrong := misdrawn(widgets)), f"browser would show / server holds: {wrong}"


def test_workshop_answers_and_consensus_survive_a_browser_that_missed_a_run(temp_database: str) -> None:
    from tests.test_app_workshop import answer, click, facilitator, participant

    host, code = facilitator(temp_database, workload=True)
    ana = participant(code, "Ana")
    answer(ana, {k: 3 for k in READINESS_KEYS}, mean_requests_per_s=2.5)
    lose_the_last_run(ana)
    widgets = widgets_of(ana, "wj.q.")
    assert len(widgets) > len(READINESS_KEYS)
    assert not (wrong := misdrawn(widgets)), f"browser would show / server holds: {wrong}"

    host.selectbox(key="wf.value.cicd").select(4)
    host.text_input(key="wf.note.cicd").input("The room agreed")
    click(host, "Save the consensus")
    lose_the_last_run(host)
    widgets = widgets_of(host, "wf.")
    assert {"wf.value.cicd", "wf.note.cicd"} <= set(widgets)
    assert not (wrong := misdrawn(widgets)), f"browser would show / server holds: {wrong}"


def test_the_history_pickers_keep_their_choice_in_a_browser_that_missed_a_run(temp_database: str) -> None:
    from tests.test_app_history import HISTORY, blank, seed, start

    ids = [seed(temp_database, blank().model_copy(update={"label": f"Q{n}"})) for n in (1, 2, 3)]
    at = start(temp_database)
    ok(at.switch_page(HISTORY).run())
    at.selectbox(key="h.old").set_value(ids[0])
    ok(at.run())
    lose_the_last_run(at)
    widgets = widgets_of(at, "h.")
    assert at.selectbox(key="h.old").value == ids[0] and {"h.old", "h.new"} <= set(widgets)
    assert not (wrong := misdrawn(widgets)), f"browser would show / server holds: {wrong}"


@pytest.mark.parametrize("page", sorted(p.name for p in (Path(__file__).parents[1] / "pages").glob("*.py")))
def test_every_page_draws_what_the_server_holds(app: AppTest, page: str) -> None:
    # The browser draws a widget from its element: a None value of a picker reads "Choose an option", so an
    # automatic choice must be an option of its own, not None.
    at = ok(app.switch_page(f"pages/{page}").run())
    widgets = {f"{w.type}:{w.key or w.label}": w for kind in KINDS for w in at.get(kind)}
    assert not (wrong := misdrawn(widgets)), f"browser would show / server holds: {wrong}"


def test_results_draw_what_the_server_holds(app: AppTest) -> None:
    ok(app.button(key="a.submit").click().run())
    open_sections(app)
    widgets = {f"{w.type}:{w.key or w.label}": w for kind in KINDS for w in app.get(kind)}
    assert any(key.startswith("selectbox:whatif.") for key in widgets), sorted(widgets)
    assert not (wrong := misdrawn(widgets)), f"browser would show / server holds: {wrong}"
