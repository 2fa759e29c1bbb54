"""Test helpers shipped with the core; `lms.testing.plugin` is the pytest plugin."""
