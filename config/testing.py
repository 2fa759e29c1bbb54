"""Overrides for the test suite (see lms/testing/plugin.py for the rest)."""

TESTING = True
# Argon2 at full cost would make every login in the suite slow; the hashing
# parameters themselves are tested in the auth plugin.
LMS_PASSWORD_HASH_FAST = True
RATELIMIT_SWALLOW_ERRORS = False
# The Flask test client's host, so that links in mails point where tests send requests.
SITE_URL = "http://localhost"
# Jobs that only tests enqueue.
LMS_JOB_MODULES = ["lms.testing.jobs"]
