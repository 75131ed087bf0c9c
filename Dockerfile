# syntax=docker/dockerfile:1
# The runner image for Cloud Run: the dbt project and the strategy_engine package, nothing else.
# Build: docker build -t strategy-engine .   Run: docker run -p 8080:8080 -e SE_RUN_TOKEN=... strategy-engine

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
RUN python -m venv /opt/venv
COPY requirements.lock ./
# The runtime lock pins the whole tree with hashes (dev and test tools are not in it).
RUN /opt/venv/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY strategy_engine ./strategy_engine
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation .

FROM python:3.11.11-slim-bookworm AS runtime
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
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/health', timeout=4)"]
ENTRYPOINT ["strategy-engine"]
CMD ["serve"]
