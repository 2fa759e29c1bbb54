"""The plugin's web blueprint (URL prefix /live); views.py, attendance_views.py and
room_views.py add their routes to it."""

from flask import Blueprint

bp = Blueprint(
    "live_classes",
    __name__,
    url_prefix="/live",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
