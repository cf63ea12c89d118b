"""Assess: answer the workload and team questions (or start from a preset or a file), then get a recommendation."""

import streamlit as st

from ui import estimates_view, form, router, sourcing_form, state

router.enter()  # through app.py's navigation and sign-in, even for a link opened first
if state.go_to_results():  # submitted by the button's callback: skip drawing the form the user is leaving
    st.switch_page("pages/results.py")

estimates_view.warm_evaluation_pool()  # the pool's workers start while the user answers (once per server)
state.seed_widgets()
st.title("Assess your generative-AI platform")
st.caption("Answer what you know; every question has a sensible default and a help text (the ? icon). "
           "The recommendation compares a monolith, a hybrid and microservices for these answers.")

form.render_start(st.container())
summary = st.container()
slots: form.Slots = {}
answers = state.answers()
answers.update(form.render_about(slots))
workload, answers["assumption_overrides"] = form.render_workload(slots, answers["assumption_overrides"])
answers["workload"].update(workload)
answers["sourcing"] = sourcing_form.render(slots, str(answers["workload"]["model_id"]), answers.get("sourcing", {}))
answers["team"].update(form.render_team(slots))
state.set_answers(answers)

assessment, error = form.validate(answers)
if error is not None:
    form.show_errors(error, slots, summary)

st.divider()
if st.button("Get recommendation", key="a.submit", type="primary", icon=":material/insights:",
             on_click=state.submit_without_form_run, args=(form.validate,)):
    if assessment is None:
        st.error("The answers are not valid yet; fix the fields marked in red above.")
    else:
        state.submit(assessment)
        st.switch_page("pages/results.py")
form.render_export(assessment)
