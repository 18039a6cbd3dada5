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
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, in their own layer, so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info

# Static files are part of the image (served by WhiteNoise). The settings need a secret
# key to load with DEBUG off; this one exists only during this step and signs nothing.
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mall \
    && mkdir -p /app/media \
    && chown mall:mall /app/media
USER mall

EXPOSE 8000
# WEB_CONCURRENCY (read by gunicorn) sets the number of worker processes.
CMD ["gunicorn", "mall.wsgi", "--bind", "0.0.0.0:8000", "--threads", "4", "--timeout", "60"]
