"""The embedded default: one machine, SQLite, tasks in-process, console e-mail."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
RESIDENCE_CODE_KEY = env("RESIDENCE_CODE_KEY", default="local-development-residence-key")
BALLOT_KEY = env("BALLOT_KEY", default="local-development-ballot-key")
