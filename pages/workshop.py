"""Workshop (facilitator): create a workshop, share the join code, watch answers live, agree, make the assessment."""

import streamlit as st

from ui import router, workshop_board, workshop_consensus, workshop_view

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Workshop")
token = workshop_view.token()
if token is None:
    workshop_view.render_create()
    st.stop()

view = workshop_view.load(token)
if view is None:
    st.button("Start a new workshop instead", key="wf.forget", on_click=workshop_view.forget_token)
    st.stop()

workshop_view.render_header(view.workshop, token)
workshop_view.render_options(view.workshop, token)
workshop_board.render_live(token, closed=view.workshop.closed)
st.divider()
workshop_consensus.render_overrides(view, token)
st.divider()
workshop_consensus.render_assessment(view, token)
st.divider()
st.button("Leave this workshop and start another", key="wf.leave", on_click=workshop_view.forget_token,
          help="Keep the private link first if you want to come back to this one.")
