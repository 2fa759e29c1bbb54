"""Alembic environment of the auth plugin: the shared runner does the work."""

from lms.migrations import run_env

run_env()
