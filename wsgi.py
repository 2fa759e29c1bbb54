"""Production entry point of the web app: `gunicorn wsgi:app`."""

from lms.app import create_app

app = create_app()
