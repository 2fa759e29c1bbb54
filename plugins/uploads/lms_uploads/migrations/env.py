"""Alembic environment of the core: the shared runner does the work."""

from lms.migrations import run_env

run_env()
