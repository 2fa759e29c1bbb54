"""The auth pages: sign up, sign in and out, e-mail links, profile and account settings."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import refresh as refresh_locale
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.actions import attempt
from lms.extensions import db
from lms.i18n import _
from lms.models import User
from lms.nav import landing_url
from lms.permissions import login_required, permission_required
from lms.storage import get_storage
from lms.urls import safe_next
from lms_auth import limits, oauth, rules, services
from lms_auth.avatars import AvatarError, save_avatar
from lms_auth.devices import remember_device
from lms_auth.forms import (
    LINK_LABELS,
    ApplicationForm,
    AvatarForm,
    ChangePasswordForm,
    ConfirmForm,
    DeactivateForm,
    DecisionForm,
    ForgotForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    TokenForm,
)
from lms_auth.models import (
    ApplicationStatus,
    AuthIdentity,
    AuthInstructorApplication,
    AuthLoginAttempt,
    EmailTokenPurpose,
)
from lms_auth.services import AuthError

bp = Blueprint(
    "auth",
    __name__,
    url_prefix="/auth",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

Page = str | Response | tuple[str, int]


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _show_error(form: Any, exc: AuthError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


# --- sign up ----------------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limits.register_per_ip
@limits.register_per_email
def register() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        limits.count_this_request()
        try:
            services.register_without_disclosure(
                email=form.email.cleaned,
                username=form.username.cleaned,
                password=form.password.data,
                name=(form.name.data or "").strip(),
            )
        except AuthError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            return redirect(url_for("auth.check_inbox", email=form.email.cleaned))
    return render_template("auth/register.html", form=form, providers=oauth.enabled_providers())


@bp.route("/register/check-your-inbox")
def check_inbox() -> str:
    return render_template("auth/check_inbox.html", email=request.args.get("email", "")[:254])


# --- sign in and out --------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limits.login_limits
def login() -> Page:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or landing_url(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(form.login.data, form.password.data, via="form")
        if result.ok and result.user is not None:
            services.start_web_session(result.user)
            db.session.commit()
            flash(_("Welcome back, %(name)s.", name=result.user.display_name), "success")
            return redirect(next_url or landing_url(result.user))
        db.session.commit()  # keep the attempt in the log
        if result.reason == "wrong":
            limits.count_this_request()
            form.form_errors.append(_("The e-mail/username or the password is not right."))
        elif result.reason == "banned":
            form.form_errors.append(_("This account has been suspended. Contact the school."))
        else:
            form.form_errors.append(_("This account has been deactivated and cannot sign in."))
        status = 401 if result.reason == "wrong" else 403
    return render_template(
        "auth/login.html", form=form, next=next_url, providers=oauth.enabled_providers()
    ), status


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Page:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.web_logout(_me())
        db.session.commit()
        flash(_("You are signed out in this browser."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> Response:
    """End every session of this account, in every browser, and revoke its API tokens."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Please try again from your profile page."), "error")
        return redirect(url_for("auth.profile"))
    services.sign_out_everywhere(_me())
    db.session.commit()
    flash(_("You are signed out on every device, and your API tokens no longer work."), "success")
    return redirect(url_for("auth.login"))


# --- e-mail links -----------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limits.forgot_per_ip
@limits.forgot_per_email
def forgot_password() -> Page:
    form = ForgotForm()
    if form.validate_on_submit():
        limits.count_this_request()
        services.request_password_reset(form.email.cleaned)
        db.session.commit()
        flash(
            _(
                "If an account uses that address, we have sent it a link to choose a new "
                "password. The link works once, for one hour."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limits.token_per_ip
def reset_password(token: str) -> Page:
    if services.find_email_token(token, EmailTokenPurpose.RESET) is None:
        limits.count_this_request()
        return render_template("auth/link_invalid.html", kind="reset"), 404
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except AuthError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            # The link proved who this is: this browser counts as their device from now on.
            remember_device(user)
            db.session.commit()
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/verify/<token>")
@limits.token_per_ip
def verify_email(token: str) -> Page:
    user = services.verify_email(token)
    if user is None:
        limits.count_this_request()
        db.session.rollback()
        return render_template("auth/link_invalid.html", kind="verify"), 404
    signed_in_as_other = current_user.is_authenticated and current_user.id != user.id
    if not current_user.is_authenticated and user.is_active:
        # The link proves the address; it signs its owner in once, like a reset link.
        services.mark_signed_in(user, user.email, via="email")
        services.start_web_session(user)
    db.session.commit()
    flash(_("Thank you, your e-mail address is confirmed."), "success")
    if signed_in_as_other:
        flash(_("You are signed in as someone else; sign out to use that account."), "info")
    return redirect(url_for("core.home"))


@bp.route("/verify/resend", methods=["POST"])
@login_required
@limits.token_per_user
def resend_verification() -> Response:
    form = ConfirmForm()
    if form.validate_on_submit() and not current_user.is_email_verified:
        limits.count_this_request()
        services.queue_mail("send_verification", current_user.id)
        db.session.commit()
        flash(_("We sent a new link to %(email)s.", email=current_user.email), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("auth.profile"))


# --- profile ----------------------------------------------------------------------------------


def _profile_page(
    form: ProfileForm, avatar_form: AvatarForm, token_form: TokenForm, **extra: Any
) -> str:
    user = _me()
    return render_template(
        "auth/profile.html",
        form=form,
        avatar_form=avatar_form,
        token_form=token_form,
        confirm_form=ConfirmForm(),
        tokens=services.list_api_tokens(user),
        session_count=services.count_web_sessions(user),
        user=user,
        **extra,
    )


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Page:
    user = _me()
    form = ProfileForm(obj=user) if request.method == "GET" else ProfileForm()
    if request.method == "GET":
        _fill_choices(form, user)
        form.fill_links(user.links or {})
    if form.validate_on_submit():
        try:
            services.update_profile(
                user,
                {
                    "username": form.username.cleaned,
                    "name": services.require_rule(rules.clean_name, form.name.data, "name"),
                    "bio": services.require_rule(
                        rules.clean_text, form.bio.data, "bio", 2000, "text about you"
                    ),
                    "country": services.require_rule(
                        rules.clean_country, form.country.data, "country"
                    ),
                    "links": form.links(),
                    **_locale_choices(form),
                },
            )
        except AuthError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            # A new language or time zone applies from this very message on.
            refresh_locale()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    status = 422 if form.errors else 200
    return _profile_page(form, AvatarForm(), TokenForm(), new_token=None), status


@bp.route("/profile/avatar", methods=["POST"])
@login_required
def upload_avatar() -> Page:
    user = _me()
    avatar_form = AvatarForm()
    if avatar_form.validate_on_submit():
        try:
            save_avatar(user, avatar_form.avatar.data.stream)
        except AvatarError as exc:
            avatar_form.avatar.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Your picture is updated."), "success")
            return redirect(url_for("auth.profile"))
    form = ProfileForm(formdata=None, obj=user)
    _fill_choices(form, user)
    form.fill_links(user.links or {})
    return _profile_page(form, avatar_form, TokenForm(), new_token=None), 422


@bp.route("/avatar/<int:user_id>")
def avatar(user_id: int) -> Response:
    user = services.get_user(user_id)
    if user is None or not user.avatar_key or user.is_deactivated:
        abort(404)
    return redirect(get_storage().url(user.avatar_key, expires_in=3600))


@bp.route("/users/<int:user_id>")
@login_required
def public_profile(user_id: int) -> str:
    user = services.get_user(user_id)
    if user is None or not user.is_active:
        abort(404)
    return render_template("auth/public_profile.html", person=user, link_labels=LINK_LABELS)


# --- API tokens on the profile page -----------------------------------------------------------


@bp.route("/tokens", methods=["POST"])
@login_required
@limits.token_per_user
def create_token() -> Page:
    user = _me()
    token_form = TokenForm()
    if token_form.validate_on_submit():
        limits.count_this_request()
        raw, _row = services.issue_api_token(user, token_form.name.data.strip())
        db.session.commit()
        form = ProfileForm(formdata=None, obj=user)
        _fill_choices(form, user)
        form.fill_links(user.links or {})
        # Shown once, right here; only its hash is kept.
        return _profile_page(form, AvatarForm(), TokenForm(formdata=None), new_token=raw)
    form = ProfileForm(formdata=None, obj=user)
    _fill_choices(form, user)
    form.fill_links(user.links or {})
    return _profile_page(form, AvatarForm(), token_form, new_token=None), 422


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        row = next((t for t in services.list_api_tokens(_me()) if t.id == token_id), None)
        if row is None:
            abort(404)
        services.revoke_api_token(row)
        db.session.commit()
        flash(_("The token “%(name)s” no longer works.", name=row.name), "success")
    return redirect(url_for("auth.profile") + "#tokens")


# --- password, connected accounts, deactivation -----------------------------------------------


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Page:
    user = _me()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current_password.data or "", form.password.data)
        except AuthError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            services.start_web_session(user)  # this browser stays signed in, on a new session
            db.session.commit()
            flash(_("Your password is changed. Every other device has been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form, has_password=bool(user.password_hash))


@bp.route("/connections")
@login_required
def connections() -> str:
    identities = db.session.scalars(
        select(AuthIdentity).where(AuthIdentity.user_id == current_user.id)
    ).all()
    return render_template(
        "auth/connections.html",
        linked={i.provider: i for i in identities},
        providers=oauth.enabled_providers(),
        all_providers=oauth.PROVIDERS,
        form=ConfirmForm(),
    )


@bp.route("/connections/<provider>/unlink", methods=["POST"])
@login_required
def unlink(provider: str) -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        attempt(
            lambda: oauth.unlink(_me(), provider),
            _("%(provider)s is no longer connected.", provider=oauth.provider_title(provider)),
        )
    return redirect(url_for("auth.connections"))


@bp.route("/deactivate", methods=["GET", "POST"])
@login_required
def deactivate() -> Page:
    user = _me()
    form = DeactivateForm()
    if form.validate_on_submit():
        if user.password_hash and not user.check_password(form.password.data or ""):
            form.password.errors = [_("Your password is not right.")]
        else:
            services.deactivate(user)
            services.web_logout(user)
            db.session.commit()
            flash(_("Your account is deactivated. Your records stay with the school."), "success")
            return redirect(url_for("core.home"))
    status = 422 if form.errors else 200
    return render_template(
        "auth/deactivate.html", form=form, has_password=bool(user.password_hash)
    ), status


# --- becoming an instructor -------------------------------------------------------------------


@bp.route("/instructor", methods=["GET", "POST"])
@login_required
def instructor_application() -> Page:
    user = _me()
    form = ApplicationForm()
    if request.method == "GET":
        form.bio.data = form.bio.data or user.bio
        form.fill_links(user.links or {})
    if form.validate_on_submit():
        try:
            bio = services.require_rule(
                rules.clean_text, form.bio.data, "bio", 2000, "text about you"
            )
            services.apply_for_instructor(user, bio, form.links())
        except AuthError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Thank you! An administrator will look at your application."), "success")
            return redirect(url_for("auth.instructor_application"))
    return render_template(
        "auth/instructor.html",
        form=form,
        application=services.latest_application(user),
        pending=services.pending_application(user),
    ), (422 if form.errors else 200)


@bp.route("/admin/applications")
@permission_required("auth.review_applications")
def admin_applications() -> str:
    status = request.args.get("status", "pending")
    if status not in {s.value for s in ApplicationStatus}:
        status = "pending"
    page = db.paginate(
        select(AuthInstructorApplication)
        .where(AuthInstructorApplication.status == status)
        .order_by(AuthInstructorApplication.created_at, AuthInstructorApplication.id),
        per_page=current_app.config["LMS_PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "auth/admin_applications.html",
        page=page,
        status=status,
        statuses=[s.value for s in ApplicationStatus],
        form=DecisionForm(),
        link_labels=LINK_LABELS,
    )


@bp.route("/admin/applications/<int:application_id>", methods=["POST"])
@permission_required("auth.review_applications")
def admin_decide(application_id: int) -> Response:
    application = services.get_application(application_id)
    if application is None:
        abort(404)
    form = DecisionForm()
    decision = request.form.get("decision")
    if form.validate_on_submit() and decision in {"approve", "reject"}:

        def decide() -> None:
            note = services.require_rule(rules.clean_text, form.note.data, "note", 2000, "note")
            services.decide_application(
                application, _me(), approve=decision == "approve", note=note
            )

        name = application.user.display_name
        done = (
            _("Application of %(name)s approved.", name=name)
            if decision == "approve"
            else _("Application of %(name)s rejected.", name=name)
        )
        attempt(decide, done)
    else:
        messages = [str(e) for errs in form.errors.values() for e in errs] or [
            _("Choose approve or reject.")
        ]
        flash(" ".join(messages), "error")
    return redirect(url_for("auth.admin_applications"))


@bp.route("/admin/login-attempts")
@permission_required("auth.read_login_log")
def admin_login_attempts() -> str:
    """The sign-in log: who tried, from where, when, and how it went."""
    query = request.args.get("q", "").strip()[:254]
    stmt = select(AuthLoginAttempt).order_by(
        AuthLoginAttempt.created_at.desc(), AuthLoginAttempt.id.desc()
    )
    if query and not rules.has_control_chars(query):
        stmt = stmt.where(AuthLoginAttempt.login.ilike(f"%{_escape_like(query)}%", escape="\\"))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template(
        "auth/admin_login_attempts.html", page=page, q=query, providers=oauth.PROVIDERS
    )


def _locale_choices(form: ProfileForm) -> dict[str, str | None]:
    """The language and time zone the form sends (checked); those it does not send stay."""
    changes = {}
    for field, rule in (("language", rules.clean_language), ("timezone", rules.clean_timezone)):
        if field in request.form:
            changes[field] = services.require_rule(rule, form[field].data, field)
    return changes


def _fill_choices(form: ProfileForm, user: User) -> None:
    """Selects show the stored choice; "" is the empty choice (no country, the defaults)."""
    form.country.data = user.country or ""
    form.language.data = user.language or ""
    form.timezone.data = user.timezone or ""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
