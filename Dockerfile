# The portal's one image: gunicorn by default; the compose file runs migrate, the Celery worker and beat from it too.

# --- front-end packages (served by Django's staticfiles from node_modules) -----------------------------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- the portal ------------------------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# PDFs (WeasyPrint, later): pango, libharfbuzz-subset0 (without it font subsetting is ~40x slower) and a CJK font.
# gettext: msgfmt for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system portal \
    && useradd --system --gid portal --home-dir /app --no-create-home --shell /usr/sbin/nologin portal

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY --from=assets /build/node_modules ./node_modules
COPY . .

# The Chinese catalogue and the static files are built into the image. collectstatic runs in production mode so
# WhiteNoise's manifest exists; the key and host below exist only for this build step and are not kept in the image.
RUN python manage.py compilemessages --ignore=node_modules --ignore=.venv -v0 \
    && DJANGO_ENV=production \
       DJANGO_SECRET_KEY=build-time-only-not-a-secret-collectstatic-needs-fifty-plus-chars \
       DJANGO_ALLOWED_HOSTS=build.invalid \
       python manage.py collectstatic --noinput -v0 \
    && mkdir -p /app/media \
    && chown portal:portal /app/media

USER portal
EXPOSE 8000
CMD ["gunicorn", "greencommunity.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
