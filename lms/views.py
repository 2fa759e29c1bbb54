"""Core pages: home, first-start set-up, health, signed media and npm assets."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.http import dump_options_header
from werkzeug.wsgi import wrap_file

from lms.config import PROJECT_ROOT
from lms.extensions import db, limiter
from lms.forms import PASSWORD_RULE, SetupForm
from lms.health import run_checks
from lms.i18n import _, _l
from lms.models.notification import Notification
from lms.models.types import utcnow
from lms.permissions import login_required
from lms.sessions import start_session
from lms.setup import SetupError, admin_exists, create_first_admin, needs_setup
from lms.state import lms_state
from lms.storage import (
    CHUNK,
    HLS_PLAYLIST,
    FolderTokenError,
    LocalStorage,
    StorageError,
    get_storage,
    guess_type,
)

bp = Blueprint("core", __name__)

NODE_MODULES = PROJECT_ROOT / "node_modules"
# npm packages whose files the pages may load (everything else stays private).
VENDOR_PACKAGES = {
    "socket.io-client",
    "sortablejs",
    "swagger-ui-dist",
    "chart.js",
    "hls.js",
    "tus-js-client",
}


@bp.route("/")
def home() -> str:
    # A fresh site greets its first visitor with the set-up form (posted to
    # /setup), not with an empty school.
    if needs_setup():
        return render_template("core/setup.html", form=SetupForm(), password_rule=PASSWORD_RULE)
    return render_template("core/home.html")


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on pages that do not name an icon (the API docs)."""
    return send_from_directory(
        Path(current_app.static_folder or "static"),
        "favicon.svg",
        mimetype="image/svg+xml",
        max_age=86400,
    )


@bp.route("/health")
@limiter.exempt
def health() -> tuple[Response, int]:
    report = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]
    return jsonify(report), (503 if report["status"] == "unhealthy" else 200)


@bp.route("/admin")
@login_required
def admin_index() -> str:
    """List every admin page the installed plugins offer this user, with what waits there."""
    pages = lms_state().nav.items("admin", current_user)
    if not pages:
        abort(403)
    return render_template(
        "core/admin_index.html",
        pages=[(page, page.pending() if page.pending else None) for page in pages],
    )


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response:
    if admin_exists():
        abort(404)  # the page is gone once the school has an admin
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = create_first_admin(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data or "",
                site_name=form.site_name.data,
            )
        except SetupError as exc:
            form.email.errors.append(str(exc))
        else:
            start_session(user)
            db.session.commit()
            flash(_("Welcome! Your school is ready. Next: add instructors and courses."), "success")
            return redirect(url_for("core.home"))
    return render_template("core/setup.html", form=form, password_rule=PASSWORD_RULE)


_EXPIRED = _l("This link has expired or is not valid. Go back and open the file again.")


def _attachment(filename: str) -> str:
    """Return a Content-Disposition header for a download named `filename`.

    Headers are Latin-1: a name beyond ASCII goes in RFC 5987's `filename*`,
    with an ASCII fallback for old clients (as Werkzeug's send_file does).
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    options = {"filename": ascii_name}
    if ascii_name != filename:
        options["filename*"] = "UTF-8''" + quote(filename, safe="!#$&+^`|~")
    return dump_options_header("attachment", options)


def _send_local(storage: LocalStorage, key: str, max_age: int, filename: str = "") -> Response:
    """Send a locally stored file (or have nginx send it); 404 if it is missing."""
    if not storage.exists(key):
        abort(404)
    mimetype = guess_type(filename or key)
    accel = current_app.config["STORAGE_ACCEL_REDIRECT_PREFIX"]
    if accel:
        # nginx sends the bytes; we only decided who may have them. nginx
        # expects the URI escaped.
        response = Response(mimetype=mimetype)
        response.headers["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{quote(key)}"
        if filename:
            response.headers["Content-Disposition"] = _attachment(filename)
    else:
        response = send_file(
            storage.path(key),
            mimetype=mimetype,
            conditional=True,
            as_attachment=bool(filename),
            download_name=filename or None,
            max_age=0,
        )
    response.headers["Cache-Control"] = f"private, max-age={max_age}"
    return response


@bp.route("/media/<path:key>")
def media(key: str) -> Response:
    """Serve a locally stored file to whoever holds a valid signed URL."""
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        abort(404)
    filename = request.args.get("filename", "")
    try:
        valid = storage.verify(
            key, request.args.get("expires", ""), request.args.get("sig", ""), filename
        )
    except StorageError:
        abort(404)
    if not valid:
        abort(403, _EXPIRED)
    return _send_local(storage, key, max_age=300, filename=filename)


@bp.route("/media-folder/<token>/<path:path>")
def media_folder(token: str, path: str) -> Response:
    """Serve a file of a folder (an HLS ladder) to whoever holds the folder's token.

    On S3, playlists pass through the app, so the relative URLs in them keep
    resolving under this token; every other file is a redirect to a presigned
    URL (the bytes never pass through the app).
    """
    storage = get_storage()
    try:
        grant = storage.open_folder_token(token)
    except FolderTokenError:
        abort(403, _EXPIRED)
    try:
        key = grant.key_for(path)
    except StorageError:
        abort(404)
    remaining = grant.expires_at - int(storage.clock())
    if isinstance(storage, LocalStorage):
        return _send_local(storage, key, max_age=min(remaining, 300))
    if guess_type(key) == HLS_PLAYLIST:
        try:
            body = storage.open(key)
        except StorageError:
            abort(404)
        response = Response(
            wrap_file(request.environ, body, CHUNK), mimetype=HLS_PLAYLIST, direct_passthrough=True
        )
        response.headers["Cache-Control"] = f"private, max-age={min(remaining, 300)}"
        return response
    response = redirect(storage.url(key, expires_in=min(remaining, storage.default_expiry)))
    # The presigned URL expires: a browser must not reuse a remembered redirect.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> Response:
    """Serve front-end libraries installed by npm (never committed to the repo)."""
    if package not in VENDOR_PACKAGES:
        abort(404)
    root = NODE_MODULES / package
    if not root.is_dir():
        abort(
            404,
            _(
                "Front-end package %(package)s is not installed; run %(command)s.",
                package=package,
                command="`make setup`",
            ),
        )
    return send_from_directory(Path(root), filename, max_age=86400)


@bp.route("/notifications")
@login_required
def notifications() -> str:
    page = db.paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        per_page=30,
        error_out=False,
    )
    return render_template("core/notifications.html", page=page)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def notifications_read() -> Response:
    db.session.execute(
        db.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("core.notifications"))
