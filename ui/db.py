"""The store's engine for the pages, cached per database URL for the life of the server process."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from planner import store
from planner.store.settings import database_url


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return store.get_engine(url)


def engine() -> Engine:
    """The engine of DATABASE_URL (default: the embedded SQLite file), migrated on first use."""
    return _engine_for(database_url())
