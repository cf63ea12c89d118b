# The planner's app server. `docker compose up` (compose.yaml) runs it against PostgreSQL; run alone, it keeps an
# SQLite file in /app/var (mount a volume there). README "Deploying for a team".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The package with its catalogs and migrations, at the versions in requirements.lock (as `make` installs it); the
# sources are removed after, so `planner` imports from site-packages, the same as `pip install .` anywhere.
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY planner planner
COPY data data
RUN pip install -c requirements.lock . && rm -rf /src

# The Streamlit entry point, its pages and helpers, and the server settings (not secrets.toml: mount it).
WORKDIR /app
COPY app.py ./
COPY pages pages
COPY ui ui
COPY .streamlit/config.toml .streamlit/config.toml

RUN useradd --create-home --uid 10001 planner && mkdir var && chown planner var
USER planner

ENV DATABASE_URL=sqlite:////app/var/planner.db
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0", "--server.headless", "true"]
