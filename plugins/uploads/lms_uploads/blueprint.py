"""The plugin's blueprints: `bp` (pages, static files) and `tus_bp` (the tus endpoint).

The tus endpoint is a plain blueprint, not a flask-smorest one: tus speaks in
headers and raw bytes, not JSON. It lives under /api/v1/uploads, so the core's
API authentication (Bearer token, or session + X-CSRFToken) covers it.
"""

from flask import Blueprint

from lms.extensions import csrf

bp = Blueprint(
    "uploads",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/uploads/static",
)

tus_bp = Blueprint("uploads_tus", __name__, url_prefix="/api/v1/uploads")
# The core's API check (lms.api._authenticate_api_request) validates X-CSRFToken for
# session calls; Flask-WTF's own check would read the body to look for a form token.
csrf.exempt(tus_bp)
