"""WSGI entry point: ``gunicorn wsgi:app``."""

from roadshow import create_app

app = create_app()
