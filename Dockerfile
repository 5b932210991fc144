# The production image: `inbox web`, `inbox worker` or `inbox serve` (the default) against an
# external PostgreSQL given by DATABASE_URL. It carries no embedded PostgreSQL (that is the
# `embedded` extra, for one machine without a database server). See docs/deploy.md.
#
#   docker build -t social-inbox .
#   docker run ... social-inbox web      # or: worker, serve, migrate, any other `inbox` command

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/inbox
WORKDIR /src
COPY pyproject.toml README.md ./
COPY inbox ./inbox
COPY connectors ./connectors
COPY routing ./routing
COPY sla ./sla
COPY web ./web
RUN /opt/inbox/bin/pip install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/inbox/bin:$PATH \
    INBOX_HOST=0.0.0.0 \
    INBOX_PORT=8080
# The key sealing stored network credentials is not made here: give INBOX_SECRET_KEY, or mount
# a file and name it in INBOX_SECRET_KEY_FILE; without either the process refuses to start.
RUN useradd --create-home --uid 10001 inbox
COPY --from=build /opt/inbox /opt/inbox
USER 10001
WORKDIR /home/inbox
EXPOSE 8080
# Every role answers /healthz on INBOX_PORT (a worker answers only that and /metrics). A 503
# (the database away, a part retrying) fails the check as well as no answer does.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('INBOX_PORT', '8080'), timeout=4)"
ENTRYPOINT ["inbox"]
CMD ["serve"]
