# One image for every Aarya process; docker-compose.yml picks the command (nameko run …,
# python -m bridge, gunicorn …). Config comes from config/<AARYA_ENV>.yaml plus env overrides.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AARYA_ENV=dev \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, from pyproject alone, so a code change doesn't reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The code runs from /app itself (PYTHONPATH), not from site-packages: kit.config finds config/
# beside kit/, so the tree must stay whole.
COPY . .
RUN useradd --system --no-create-home --home-dir /app aarya
USER aarya

# Each process's own port (side door or gateway) is set by compose; this is the users default.
EXPOSE 8001 8080
CMD ["nameko", "run", "--config", "config/dev.yaml", "services.users.service"]
