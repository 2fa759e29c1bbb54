"""The plugin's web blueprint; views.py (player) and editor.py add their routes to it."""

from flask import Blueprint

bp = Blueprint(
    "lessons",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/lessons/static",
)
