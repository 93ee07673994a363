# The API image: non-root, uvicorn with several workers, configured by environment.
FROM python:3.13-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app

COPY pyproject.toml README.md ./
COPY api ./api
COPY schema ./schema
COPY resolvers ./resolvers
COPY live ./live
COPY scheduler ./scheduler
COPY seed ./seed
COPY domain ./domain
COPY storage ./storage
COPY migrations ./migrations
RUN pip install . && rm -rf /root/.cache

USER app
EXPOSE 8000
ENV HOST=0.0.0.0 PORT=8000 WORKERS=4

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"]

CMD ["contracts", "serve"]
