"""Overrides for `make run` on a school's own machine or a developer's laptop."""

# Served over plain HTTP on loopback, so cookies cannot require HTTPS.
SESSION_COOKIE_SECURE = False
TEMPLATES_AUTO_RELOAD = True
