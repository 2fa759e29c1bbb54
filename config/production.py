"""Overrides for a site behind HTTPS (nginx or another proxy in front)."""

SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
LMS_HSTS = True
PREFERRED_URL_SCHEME = "https"
