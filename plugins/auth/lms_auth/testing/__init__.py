"""Test support shipped with the auth plugin: a local OAuth 2 provider for sign-in tests.

Google and GitHub cannot be reached from tests, so this provider speaks their
documented authorization-code flow and user-info JSON on loopback, and the
plugin's real Flask-Dance client code runs against it.
"""

from lms_auth.testing.oauth_provider import LocalOAuthProvider

__all__ = ["LocalOAuthProvider"]
