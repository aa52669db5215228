"""Gunicorn's entry point (`polls.wsgi:app`). Imported in each worker after the fork, so each gets its own pool."""

from .app import create_app
from .config import load_settings

app = create_app(load_settings())
