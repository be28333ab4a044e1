"""gunicorn's settings (``gunicorn -c python:backend.gunicorn_conf``): its own lines are the
same JSON lines on stdout as the application's, and it writes no access log of its own:
django-structlog's request_finished line is the access log, with the request id and without
the query string (an access log of gunicorn's would carry both the query string and no id).
"""

import os

from backend.logs import logging_config

accesslog = None
_config = logging_config(os.environ.get("LOG_LEVEL", "INFO"))
_config["loggers"].update(
    {
        "gunicorn.error": {"handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    }
)
logconfig_dict = _config
