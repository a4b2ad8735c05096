# syntax=docker/dockerfile:1
#
# One image for every PDF Docat process:
#   docker run IMAGE                  -> docat serve --host 0.0.0.0 --port 8000 (the API)
#   docker run IMAGE worker           -> docat worker (arq; metrics on WORKER_METRICS_PORT)
#   docker run IMAGE migrate          -> docat migrate (one-shot, before api/worker)
# deploy/docker-compose.yml runs it in all three roles.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: a virtualenv with the project and its dependencies --------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /src

# Dependencies first, from pyproject alone, so a code change does not
# reinstall them (every dependency ships manylinux wheels: no compiler).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --upgrade pip \
    && pip install -r /tmp/requirements.txt

# Then the project itself (README.md is the distribution's readme).
COPY README.md ./
COPY docat ./docat
COPY graphql_api ./graphql_api
COPY jobs ./jobs
COPY models ./models
COPY migrations ./migrations
RUN pip install --no-deps . \
    && docat --help > /dev/null

# ---- runtime ------------------------------------------------------------
FROM ${PYTHON_IMAGE}

# Tesseract for the OCR engine (PyMuPDF calls it through TESSDATA_PREFIX).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu \
    && rm -rf /var/lib/apt/lists/*

# Tesseract 5 on Debian keeps its language data here; fail the build, not the
# first OCR job, if the layout ever changes.
ENV TESSDATA_PREFIX=/usr/share/tesseract-ocr/5/tessdata
RUN test -f "${TESSDATA_PREFIX}/eng.traineddata" && test -f "${TESSDATA_PREFIX}/deu.traineddata"

# A fixed uid so volume ownership is predictable across hosts.
RUN groupadd --system --gid 10001 docat \
    && useradd --system --uid 10001 --gid docat --home-dir /home/docat --create-home docat \
    && mkdir -p /data \
    && chown docat:docat /data

COPY --from=builder /opt/venv /opt/venv

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data \
    LOG_JSON=true \
    WORKER_METRICS_PORT=9100

USER docat
WORKDIR /home/docat
VOLUME ["/data"]

# 8000: API (GraphQL, /health, /metrics, /files). 9100: worker metrics.
EXPOSE 8000 9100

# The API's /health: 200 for ok/degraded, 503 (urlopen raises -> exit 1) for down.
# Workers have no /health: compose overrides this check for them.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

ENTRYPOINT ["docat"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
