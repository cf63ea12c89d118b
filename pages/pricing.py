"""Prices: the GPU prices behind the estimates, which GPU is cheapest per token, managed APIs beside self-hosting,
and your own price lists."""

import streamlit as st

from ui import api_pricing_view, pricing_view, router

router.enter()  # through app.py's navigation and sign-in, even for a link opened first

st.title("Prices")
st.caption("Every estimate prices GPU instances from a price list: the built-in catalog, or one you saved. "
           "Pick one to browse it; choose it for an assessment on the Results page under *What if*.")
pricing_view.open_link()
api_pricing_view.open_link()
source = pricing_view.choose_source()
rows = pricing_view.filtered(source)
browse, per_token, apis, own = st.tabs(["Browse prices", "Cost per million tokens", api_pricing_view.TAB,
                                        "Bring your own prices"], default=api_pricing_view.first_tab())
with browse:
    pricing_view.render_browser(rows)
with per_token:
    workload = pricing_view.render_token_costs(source, rows)
with apis:
    api_pricing_view.render(workload, source)
with own:
    pricing_view.render_bring_your_own(source)
    st.subheader("Saved price lists")
    pricing_view.render_saved_lists()
