# The sample app: autoapi over the in-memory database, or a real MongoDB via MONGODB_URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /app

# Dependencies first, so editing the app does not reinstall them.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install ".[sample]"

COPY sample_app ./sample_app
COPY schemas ./schemas

USER app
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["python", "-m", "sample_app", "--host", "0.0.0.0", "--port", "8000"]
