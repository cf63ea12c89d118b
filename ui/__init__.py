"""Streamlit helpers shared by the pages: session state, the answer form, results rendering, the store."""
