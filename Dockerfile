# Runs `inbox serve` against an external PostgreSQL given by DATABASE_URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INBOX_HOST=0.0.0.0 \
    INBOX_PORT=8080

RUN useradd --create-home --uid 10001 inbox
WORKDIR /app
COPY pyproject.toml README.md ./
COPY inbox ./inbox
COPY connectors ./connectors
COPY routing ./routing
COPY sla ./sla
COPY web ./web
RUN pip install --no-cache-dir .

USER inbox
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"
CMD ["inbox", "serve"]
