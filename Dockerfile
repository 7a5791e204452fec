# Kade as a container image: the same code and entry points as the Procfile and the systemd
# units (ops/systemd/). One image, four processes:
#
#   docker build -t kade .
#   docker run --env-file kade.env kade flask --app wsgi db upgrade     # before each deploy
#   docker run --env-file kade.env -p 8000:8000 kade                     # web: the storefront
#   docker run --env-file kade.env -e KADE_POOL=staff -e STAFF_PORT=8001 -p 8001:8001 \
#              kade gunicorn -c gunicorn.conf.py wsgi:app                # staff: the back office
#   docker run --env-file kade.env kade python -m jobs.worker            # one or more
#   docker run --env-file kade.env kade python -m jobs.scheduler         # exactly one
#
# kade.env holds the settings (README, Settings): DATABASE_URL, REDIS_URL, SECRET_KEY,
# PII_KEYS, PII_INDEX_KEY, BACKUP_KEYS, PUBLIC_URL … A container's disk is thrown away with it:
# set MEDIA_URL to an S3 bucket (s3://bucket/prefix) so pictures outlive it, and put nginx
# (ops/nginx/kade.conf) in front for /staff and the static files.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump for the backups of a PostgreSQL shop (app/ops/backups); psycopg[binary] brings
# its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --home-dir /srv/kade --create-home kade
WORKDIR /srv/kade/current

# The dependencies first, pinned by the lock, in a layer of their own: a change to the code
# alone does not reinstall them.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/dependencies.txt \
    && pip install -c requirements.lock -r /tmp/dependencies.txt \
    && rm /tmp/dependencies.txt

COPY . .
# Editable, as `make install` does: templates, static files and translations are found
# beside the code, in this folder.
RUN pip install --no-deps -e . \
    && pybabel -q compile -d app/translations -f \
    && mkdir -p instance \
    && chown -R kade:kade instance

USER kade
ENV KADE_ENV=production PORT=8000
EXPOSE 8000 8001
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
