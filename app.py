"""GenAI Architecture Planner: the Streamlit entry point. It routes (ui/router.py: the page's look, the pages, the
optional sign-in); nothing else."""

from ui import router

router.run()
