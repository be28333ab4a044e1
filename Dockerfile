FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=backend.settings.production

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 buurtfonds
# The private media volume's mount point, owned by the app's user: a new named volume takes
# this ownership, so the app can write uploaded receipts into it.
RUN mkdir -p /data/private && chown buurtfonds:buurtfonds /data/private

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY community ./community
COPY grants ./grants
COPY voting ./voting
COPY ledger ./ledger
COPY api ./api
COPY payments ./payments
COPY banking ./banking
COPY web ./web
COPY static ./static
COPY locale ./locale
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && DJANGO_SECRET_KEY=build-only RESIDENCE_CODE_KEY=build-only BALLOT_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
       python manage.py collectstatic --noinput

USER buurtfonds
EXPOSE 8000
CMD ["gunicorn", "backend.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
