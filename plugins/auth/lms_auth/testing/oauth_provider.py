"""A local OAuth 2 provider speaking GitHub's and Google's documented protocols, for tests.

Authorization-code flow with `state` echoed back, a token endpoint that checks the
client secret, the code and the redirect URI, and user-info endpoints returning
each provider's JSON shape:

- GitHub: ``GET /user`` (id, login, name, email) and ``GET /user/emails``
  (email, primary, verified, visibility).
- Google: OpenID Connect userinfo (sub, email, email_verified, name).

Who is "signed in at the provider" is set by the test with ``sign_in_as``.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENTS = {"github": ("gh-client", "gh-secret"), "google": ("gg-client", "gg-secret")}
SCOPES = {
    "github": "read:user,user:email",
    "google": "openid https://www.googleapis.com/auth/userinfo.email "
    "https://www.googleapis.com/auth/userinfo.profile",
}


@dataclass
class LocalOAuthProvider:
    host: str = "127.0.0.1"
    port: int = 0
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests_seen: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def config(self) -> dict[str, str]:
        """The app configuration that points the real Flask-Dance client here."""
        return {
            "GITHUB_OAUTH_CLIENT_ID": CLIENTS["github"][0],
            "GITHUB_OAUTH_CLIENT_SECRET": CLIENTS["github"][1],
            "GITHUB_OAUTH_AUTHORIZATION_URL": f"{self.url}/github/login/oauth/authorize",
            "GITHUB_OAUTH_TOKEN_URL": f"{self.url}/github/login/oauth/access_token",
            "GITHUB_OAUTH_API_URL": f"{self.url}/github/api/",
            "GOOGLE_OAUTH_CLIENT_ID": CLIENTS["google"][0],
            "GOOGLE_OAUTH_CLIENT_SECRET": CLIENTS["google"][1],
            "GOOGLE_OAUTH_AUTHORIZATION_URL": f"{self.url}/google/o/oauth2/v2/auth",
            "GOOGLE_OAUTH_TOKEN_URL": f"{self.url}/google/token",
            "GOOGLE_OAUTH_USERINFO_URL": f"{self.url}/google/v1/userinfo",
        }

    def sign_in_as_github(
        self, user_id: int, login: str, name: str, email: str, verified: bool = True
    ) -> None:
        self.accounts["github"] = {
            "user": {
                "id": user_id,
                "login": login,
                "node_id": f"MDQ6VXNlcj{user_id}",
                "avatar_url": f"https://avatars.example/u/{user_id}",
                "type": "User",
                "name": name,
                # GitHub shows the public e-mail here (often null); the list has the flags.
                "email": None,
            },
            "emails": [
                {"email": email, "primary": True, "verified": verified, "visibility": "private"}
            ],
        }

    def sign_in_as_google(self, sub: str, email: str, name: str, verified: bool = True) -> None:
        self.accounts["google"] = {
            "userinfo": {
                "sub": sub,
                "name": name,
                "given_name": name.split()[0],
                "family_name": name.split()[-1],
                "picture": "https://lh3.example/a/photo.jpg",
                "email": email,
                "email_verified": verified,
                "locale": "en",
            }
        }

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # keep test output quiet
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _bearer(self) -> dict[str, Any] | None:
                scheme, _, token = self.headers.get("Authorization", "").partition(" ")
                if scheme.lower() not in ("bearer", "token"):
                    return None
                return provider.tokens.get(token.strip())

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                provider.requests_seen.append(f"GET {parts.path}")
                if parts.path in ("/github/login/oauth/authorize", "/google/o/oauth2/v2/auth"):
                    self.authorize(parts.path.split("/")[1], query)
                elif parts.path in ("/github/api/user", "/github/api/user/emails"):
                    grant = self._bearer()
                    if grant is None or grant["provider"] != "github":
                        return self._json(401, {"message": "Bad credentials"})
                    account = grant["account"]
                    key = "emails" if parts.path.endswith("emails") else "user"
                    self._json(200, account[key])
                elif parts.path == "/google/v1/userinfo":
                    grant = self._bearer()
                    if grant is None or grant["provider"] != "google":
                        return self._json(401, {"error": "invalid_token"})
                    self._json(200, grant["account"]["userinfo"])
                else:
                    self._json(404, {"message": "Not Found"})

            def authorize(self, name: str, query: dict[str, str]) -> None:
                if (
                    query.get("client_id") != CLIENTS[name][0]
                    or query.get("response_type") != "code"
                ):
                    return self._json(400, {"error": "invalid_request"})
                redirect_uri = query.get("redirect_uri", "")
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {
                    "provider": name,
                    "redirect_uri": redirect_uri,
                    "account": json.loads(json.dumps(provider.accounts[name])),
                }
                params = {"code": code}
                if "state" in query:
                    params["state"] = query["state"]
                self.send_response(302)
                self.send_header("Location", f"{redirect_uri}?{urlencode(params)}")
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                provider.requests_seen.append(f"POST {parts.path}")
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                name = {
                    "/github/login/oauth/access_token": "github",
                    "/google/token": "google",
                }.get(parts.path)
                if name is None:
                    return self._json(404, {"message": "Not Found"})
                # Clients may authenticate in the body or with HTTP Basic; accept both.
                client_id = form.get("client_id")
                secret = form.get("client_secret")
                if not secret and self.headers.get("Authorization", "").startswith("Basic "):
                    import base64

                    raw = base64.b64decode(self.headers["Authorization"][6:]).decode()
                    client_id, _, secret = raw.partition(":")
                grant = provider.codes.pop(form.get("code", ""), None)
                if (client_id, secret) != CLIENTS[name] or grant is None:
                    return self._json(400, {"error": "bad_verification_code"})
                if grant["provider"] != name or grant["redirect_uri"] != form.get("redirect_uri"):
                    return self._json(400, {"error": "redirect_uri_mismatch"})
                token = secrets.token_urlsafe(24)
                provider.tokens[token] = {"provider": name, "account": grant["account"]}
                body: dict[str, Any] = {
                    "access_token": token,
                    "token_type": "bearer" if name == "github" else "Bearer",
                    "scope": SCOPES[name],
                }
                if name == "google":
                    body["expires_in"] = 3599
                self._json(200, body)

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
