"""Join a workshop (participant): enter the code and a name, answer the questions, revise until it closes."""

import streamlit as st

from ui import router, workshop_join

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Join a workshop")
code, secret = workshop_join.credentials()
if not (code and secret):
    workshop_join.render_join(code)
    st.stop()

view = workshop_join.load(code, secret)
if view is None:
    workshop_join.render_join(code)
    st.stop()

workshop_join.render_status(view)
workshop_join.render_answers(view)
st.divider()
workshop_join.render_room(code, secret)
st.divider()
st.button("Join as someone else", key="wj.forget", on_click=workshop_join.forget,
          help="Forget your place on this device. Your saved answers stay with the workshop.")
