# Production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.12-slim-bookworm

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH COMMBILLING_PROFILE=production
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0 \
    && SECRET_KEY=build-only python manage.py compilemessages -v0 --ignore=/opt/venv \
    && useradd --system --home /app commbilling && mkdir -p /data && chown commbilling /data
USER commbilling
EXPOSE 8000
CMD ["gunicorn", "commbilling.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
