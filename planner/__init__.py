"""GenAI Architecture Planner: the domain (no Streamlit here)."""

__version__ = "0.1.0"
