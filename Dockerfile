# contrail-f5-reconciler: the `reconcile` daemon, as manifests/deployment.yaml runs it.
#   docker build -t contrail-f5-reconciler:0.1.0 .
# Installs the package and its pinned dependencies from pyproject.toml (what `make venv`
# installs, without the dev extra). Runs as uid 10001 on a read-only root filesystem.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --gid 10001 reconciler \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin reconciler

WORKDIR /src
COPY pyproject.toml README.md ./
COPY reconciler/ reconciler/
COPY emulators/ emulators/
RUN pip install --no-cache-dir . \
    && rm -rf /src

WORKDIR /
USER 10001:10001
EXPOSE 9180
ENTRYPOINT ["reconcile"]
CMD ["--config", "/etc/contrail/contrail-f5-reconciler.conf"]
