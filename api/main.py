"""The ASGI application uvicorn serves (`api.main:app`), configured from the environment.

Every process that serves imports this module, and with `WORKERS > 1` each worker is a
fresh interpreter that inherits none of the parent's logging (uvicorn is given no logging
configuration): so the logging is configured here, in each of them.
"""

from __future__ import annotations

from api.app import create_app
from api.logging import configure_logging
from api.settings import load_settings

settings = load_settings()
configure_logging(settings.log_level, settings.log_format)
app = create_app(settings)
