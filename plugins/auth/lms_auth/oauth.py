"""Google and GitHub sign-in with Flask-Dance: sign in, sign up, and link to an account.

Identities are keyed by (provider, provider user id). An OAuth e-mail is matched
to an existing local account only when the provider says that address is
verified; otherwise the person must sign in with their password and link the
provider from their profile. A provider is offered only when its client id
and secret are configured; every URL is configurable so tests (and GitHub
Enterprise) can point the real client code elsewhere.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_dance.consumer import OAuth2ConsumerBlueprint, oauth_authorized, oauth_before_login
from flask_dance.consumer import oauth_error as dance_error
from flask_dance.consumer.storage import NullStorage
from flask_login import current_user
from oauthlib.oauth2 import OAuth2Error
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.actions import attempt
from lms.extensions import db
from lms.i18n import _
from lms.models import User, utcnow
from lms.nav import landing_url
from lms.urls import safe_next
from lms_auth import services
from lms_auth.models import AuthIdentity
from lms_auth.rules import RuleError, normalise_email
from lms_auth.services import AuthError

log = logging.getLogger(__name__)

PROVIDERS = {"github": "GitHub", "google": "Google"}
_NEXT_KEY = "auth_oauth_next"

#: Configuration keys (defaults are the providers' public endpoints).
OAUTH_CONFIG: dict[str, Any] = {
    "GITHUB_OAUTH_CLIENT_ID": None,
    "GITHUB_OAUTH_CLIENT_SECRET": None,
    "GITHUB_OAUTH_AUTHORIZATION_URL": "https://github.com/login/oauth/authorize",
    "GITHUB_OAUTH_TOKEN_URL": "https://github.com/login/oauth/access_token",
    "GITHUB_OAUTH_API_URL": "https://api.github.com/",
    "GOOGLE_OAUTH_CLIENT_ID": None,
    "GOOGLE_OAUTH_CLIENT_SECRET": None,
    "GOOGLE_OAUTH_AUTHORIZATION_URL": "https://accounts.google.com/o/oauth2/v2/auth",
    "GOOGLE_OAUTH_TOKEN_URL": "https://oauth2.googleapis.com/token",
    "GOOGLE_OAUTH_USERINFO_URL": "https://openidconnect.googleapis.com/v1/userinfo",
}


def provider_title(provider: str) -> str:
    return PROVIDERS.get(provider, provider)


def provider_enabled(provider: str, app: Flask | None = None) -> bool:
    cfg = (app or current_app).config
    prefix = provider.upper()
    return bool(cfg.get(f"{prefix}_OAUTH_CLIENT_ID") and cfg.get(f"{prefix}_OAUTH_CLIENT_SECRET"))


def enabled_providers() -> list[tuple[str, str]]:
    return [(name, title) for name, title in PROVIDERS.items() if provider_enabled(name)]


# --- what a provider tells us about a person --------------------------------------------------


@dataclass
class ProviderProfile:
    provider_user_id: str
    email: str | None
    email_verified: bool
    name: str
    login: str | None


def _json(response: requests.Response) -> Any:
    response.raise_for_status()
    return response.json()


def github_profile(session: Any) -> ProviderProfile:
    """GET /user, then /user/emails for the verified flag GitHub keeps there."""
    user = _json(session.get("user"))
    emails = _json(session.get("user/emails"))
    if not isinstance(user, dict) or "id" not in user or not isinstance(emails, list):
        raise ValueError("unexpected reply from GitHub")
    entries = [e for e in emails if isinstance(e, dict) and isinstance(e.get("email"), str)]
    chosen = next((e for e in entries if e.get("primary") and e.get("verified")), None)
    chosen = chosen or next((e for e in entries if e.get("verified")), None)
    chosen = chosen or next((e for e in entries if e.get("primary")), None)
    email = chosen["email"] if chosen else user.get("email")
    verified = bool(chosen and chosen.get("verified"))
    return ProviderProfile(
        provider_user_id=str(user["id"]),
        email=email if isinstance(email, str) else None,
        email_verified=verified,
        name=str(user.get("name") or "")[:120],
        login=str(user.get("login") or "") or None,
    )


def google_profile(session: Any) -> ProviderProfile:
    """OpenID Connect userinfo: sub, email, email_verified, name."""
    info = _json(session.get(current_app.config["GOOGLE_OAUTH_USERINFO_URL"]))
    if not isinstance(info, dict) or not info.get("sub"):
        raise ValueError("unexpected reply from Google")
    email = info.get("email")
    return ProviderProfile(
        provider_user_id=str(info["sub"]),
        email=email if isinstance(email, str) else None,
        email_verified=info.get("email_verified") in (True, "true"),
        name=str(info.get("name") or "")[:120],
        login=None,
    )


FETCHERS = {"github": github_profile, "google": google_profile}


# --- deciding who signs in --------------------------------------------------------------------


def find_identity(provider: str, provider_user_id: str) -> AuthIdentity | None:
    return db.session.scalar(
        select(AuthIdentity).where(
            AuthIdentity.provider == provider,
            AuthIdentity.provider_user_id == provider_user_id[:255],
        )
    )


def _clean_email(profile: ProviderProfile) -> str | None:
    if not profile.email:
        return None
    try:
        return normalise_email(profile.email)
    except RuleError:
        return None


def _touch(identity: AuthIdentity, profile: ProviderProfile, email: str | None) -> None:
    identity.email = email
    identity.email_verified = profile.email_verified
    identity.login = (profile.login or "")[:255] or None
    identity.last_used_at = utcnow()


def link_identity(user: User, provider: str, profile: ProviderProfile) -> AuthIdentity:
    existing = find_identity(provider, profile.provider_user_id)
    title = provider_title(provider)
    if existing is not None and existing.user_id != user.id:
        raise AuthError(
            _(
                "That %(provider)s account is already connected to another account here.",
                provider=title,
            ),
            code="identity_taken",
            status=409,
        )
    if existing is None:
        other = db.session.scalar(
            select(AuthIdentity).where(
                AuthIdentity.user_id == user.id, AuthIdentity.provider == provider
            )
        )
        if other is not None:
            raise AuthError(
                _(
                    "Another %(provider)s account is connected; disconnect it first.",
                    provider=title,
                ),
                code="provider_taken",
                status=409,
            )
        existing = AuthIdentity(
            user_id=user.id, provider=provider, provider_user_id=profile.provider_user_id[:255]
        )
        db.session.add(existing)
    _touch(existing, profile, _clean_email(profile))
    db.session.flush()
    return existing


def unlink(user: User, provider: str) -> None:
    identity = db.session.scalar(
        select(AuthIdentity).where(
            AuthIdentity.user_id == user.id, AuthIdentity.provider == provider
        )
    )
    if identity is None:
        raise AuthError(
            _("%(provider)s is not connected.", provider=provider_title(provider)),
            code="not_found",
            status=404,
        )
    others = db.session.scalar(
        select(db.func.count())
        .select_from(AuthIdentity)
        .where(AuthIdentity.user_id == user.id, AuthIdentity.id != identity.id)
    )
    if not user.password_hash and not others:
        raise AuthError(
            _("This is your only way to sign in. Set a password first, then disconnect it."),
            code="last_login_method",
        )
    db.session.delete(identity)
    db.session.flush()


def unique_username(*candidates: str | None) -> str:
    """A free username built from the provider login or the e-mail's local part."""
    for candidate in candidates:
        base = re.sub(r"[^a-z0-9_.-]+", "-", (candidate or "").lower()).strip("-._")[:30]
        if len(base) < 3:
            continue
        for n in range(0, 20):
            name = base if n == 0 else f"{base}-{n + 1}"
            if services.user_by_username(name) is None:
                return name
    return f"user-{secrets.token_hex(4)}"


def complete_sign_in(provider: str, profile: ProviderProfile) -> Response:
    """Sign in, sign up or link, once the provider has told us who this is."""
    title = provider_title(provider)
    email = _clean_email(profile)
    identity = find_identity(provider, profile.provider_user_id)
    if current_user.is_authenticated:
        attempt(
            lambda: link_identity(current_user._get_current_object(), provider, profile),  # type: ignore[attr-defined]
            _("%(provider)s is now connected to your account.", provider=title),
        )
        return redirect(url_for("auth.connections"))

    login_label = email or profile.login or f"{provider}:{profile.provider_user_id}"
    if identity is not None:
        user = identity.user
        _touch(identity, profile, email)
    else:
        user = services.user_by_email(email) if email else None
        if user is not None and not profile.email_verified:
            services.record_attempt(
                user, login_label, via=provider, success=False, reason="unverified_oauth_email"
            )
            db.session.commit()
            flash(
                _(
                    "An account with the address %(email)s already exists, and %(provider)s "
                    "has not verified that address. Sign in with your password, then connect "
                    "%(provider)s from your profile.",
                    email=email,
                    provider=title,
                ),
                "error",
            )
            return redirect(url_for("auth.login"))
        if user is None:
            if email is None:
                flash(
                    _(
                        "%(provider)s did not share an e-mail address with us, so we cannot "
                        "create an account. Register with your e-mail instead.",
                        provider=title,
                    ),
                    "error",
                )
                return redirect(url_for("auth.register"))
            user = services.create_account(
                email=email,
                username=unique_username(profile.login, email.split("@", 1)[0]),
                password=None,
                name=profile.name.strip(),
                via="oauth",
                verified=profile.email_verified,
            )
            if not profile.email_verified:
                services.queue_mail("send_verification", user.id)
        elif user.email_verified_at is None:
            user.email_verified_at = utcnow()  # the provider vouches for this address
        if user.is_active:
            link_identity(user, provider, profile)
    if not user.is_active:
        services.record_attempt(user, login_label, via=provider, success=False, reason="inactive")
        db.session.commit()
        flash(_("This account has been deactivated or suspended and cannot sign in."), "error")
        return redirect(url_for("auth.login"))
    next_url = safe_next(session.get(_NEXT_KEY))
    services.mark_signed_in(user, login_label, via=provider)
    services.start_web_session(user)
    db.session.commit()
    flash(
        _(
            "Welcome, %(name)s. You are signed in with %(provider)s.",
            name=user.display_name,
            provider=title,
        ),
        "success",
    )
    return redirect(next_url or landing_url(user))


# --- Flask-Dance wiring -----------------------------------------------------------------------


def _fail(provider: str, why: str) -> Response:
    db.session.rollback()
    flash(
        _(
            "Signing in with %(provider)s did not work: %(reason)s",
            provider=provider_title(provider),
            reason=why,
        ),
        "error",
    )
    return redirect(url_for("auth.connections" if current_user.is_authenticated else "auth.login"))


def _provider_of(blueprint: Any) -> str:
    return blueprint.name.removeprefix("auth_")


def _on_authorized(blueprint: Any, token: dict[str, Any] | None) -> Response:
    provider = _provider_of(blueprint)
    if not token:
        return _fail(provider, _("no access was granted."))
    try:
        profile = FETCHERS[provider](blueprint.session)
    except (requests.RequestException, ValueError, KeyError, TypeError):
        log.warning("could not read the %s profile", provider, exc_info=True)
        return _fail(provider, _("we could not read your account details. Try again later."))
    try:
        return complete_sign_in(provider, profile)
    except AuthError as exc:
        return _fail(provider, exc.message)


def _on_error(blueprint: Any, error: Any = None, **_kwargs: Any) -> Response:
    cancelled = error == "access_denied"
    return _fail(
        _provider_of(blueprint), _("you cancelled.") if cancelled else _("the provider refused.")
    )


def _remember_next(blueprint: Any, url: str = "") -> None:
    session[_NEXT_KEY] = safe_next(request.args.get("next")) or ""


def make_blueprints() -> list[OAuth2ConsumerBlueprint]:
    """Build this app's provider blueprints (one set per app: they hold per-app state)."""
    # Google answers with its own spelling of the granted scopes; oauthlib must not
    # treat that as an error. Flask-Dance's own Google blueprint sets the same.
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    github = OAuth2ConsumerBlueprint(
        "auth_github",
        __name__,
        url_prefix="/auth/oauth",
        login_url="/github",
        authorized_url="/github/authorized",
        scope=["read:user", "user:email"],
        storage=NullStorage(),
    )
    github.from_config.update(
        {
            "_client_id": "GITHUB_OAUTH_CLIENT_ID",
            "client_secret": "GITHUB_OAUTH_CLIENT_SECRET",
            "authorization_url": "GITHUB_OAUTH_AUTHORIZATION_URL",
            "token_url": "GITHUB_OAUTH_TOKEN_URL",
            "base_url": "GITHUB_OAUTH_API_URL",
        }
    )
    google = OAuth2ConsumerBlueprint(
        "auth_google",
        __name__,
        url_prefix="/auth/oauth",
        login_url="/google",
        authorized_url="/google/authorized",
        scope=["openid", "email", "profile"],
        storage=NullStorage(),
    )
    google.from_config.update(
        {
            "_client_id": "GOOGLE_OAUTH_CLIENT_ID",
            "client_secret": "GOOGLE_OAUTH_CLIENT_SECRET",
            "authorization_url": "GOOGLE_OAUTH_AUTHORIZATION_URL",
            "token_url": "GOOGLE_OAUTH_TOKEN_URL",
        }
    )
    blueprints = [github, google]
    for bp in blueprints:
        provider = _provider_of(bp)

        def only_when_configured(provider: str = provider) -> None:
            if not provider_enabled(provider):
                abort(404)

        def dance_failed(exc: Exception, provider: str = provider) -> Response:
            # Bad or replayed `state`, a refused code, an unreachable provider.
            log.warning("%s sign-in failed: %s", provider, exc)
            return _fail(provider, _("the sign-in could not be completed. Please try again."))

        bp.before_request(only_when_configured)
        for exc_class in (OAuth2Error, requests.RequestException, Warning):
            bp.register_error_handler(exc_class, dance_failed)
        oauth_authorized.connect(_on_authorized, sender=bp, weak=False)
        dance_error.connect(_on_error, sender=bp, weak=False)
        oauth_before_login.connect(_remember_next, sender=bp, weak=False)
    return blueprints
