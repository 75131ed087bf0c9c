# syntax=docker/dockerfile:1
# The runner image for Cloud Run: the dbt project, the strategy_engine package (the runner) and the
# strategy_compute package (the pure compute its DuckDB Python models import), nothing else.
# Build: docker build -t strategy-engine .   Run: docker run -p 8080:8080 -e SE_RUN_TOKEN=... strategy-engine

# The base image by digest, not only by tag: the tag is rebuilt in place (Debian updates), the digest
# is one set of bytes. This is the multi-arch index published for the tag's last rebuild (8 Apr 2025),
# as listed by docker-library's repo-info (repos/python/remote/3.11.11-slim-bookworm.md). To move on:
# docker buildx imagetools inspect python:<tag> and replace both tag and digest.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:44f400c25078305ba59890d096a5292817fae1bd703141d9959743b6409cba96

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
RUN python -m venv /opt/venv
COPY requirements.lock ./
# The runtime lock pins the whole tree with hashes (dev and test tools are not in it).
RUN /opt/venv/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY strategy_engine ./strategy_engine
COPY strategy_compute ./strategy_compute
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation .

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    SE_PROJECT_DIR=/app \
    SE_TARGET=prod \
    PORT=8080
RUN groupadd --system --gid 10001 engine \
    && useradd --system --uid 10001 --gid engine --home-dir /app --shell /usr/sbin/nologin engine
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=engine:engine dbt_project.yml ./
COPY --chown=engine:engine profiles ./profiles
COPY --chown=engine:engine models ./models
COPY --chown=engine:engine macros ./macros
COPY --chown=engine:engine seeds ./seeds
COPY --chown=engine:engine python_models ./python_models
COPY --chown=engine:engine tests/dbt ./tests/dbt
RUN mkdir -p /app/target /app/logs /app/warehouse /app/reports /app/outbox \
    && chown -R engine:engine /app/target /app/logs /app/warehouse /app/reports /app/outbox
USER 10001:10001
EXPOSE 8080
# Liveness only (/livez): /health answers 503 while data is stale or the last run failed, and
# restarting the container fixes neither (docs/DEPLOY.md, service settings).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/livez', timeout=4)"]
ENTRYPOINT ["strategy-engine"]
CMD ["serve"]
