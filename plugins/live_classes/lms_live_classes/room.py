"""The audio/video room of a class, behind a small provider interface.

``start(live_class)``, ``join_config(live_class, user, role)`` (what the room
page embeds for that user, or None for no video) and ``end(live_class)``.
Jitsi by default: the server is a setting, the room name is the class's
unguessable ``room_name``, staff are moderators, and when an app id and secret
are set each participant gets a signed JWT (PyJWT). Provider "none" gives a
chat-only room (tests; sites without a video server).
"""

from __future__ import annotations

import time
from typing import Any, Protocol
from urllib.parse import quote

from lms.i18n import current_language
from lms.settings import get_setting
from lms_live_classes.models import LiveClass

STAFF = "staff"
# A room token lasts the class plus a margin: a student who stays late is not cut off.
TOKEN_MARGIN_SECONDS = 2 * 3600


class RoomProvider(Protocol):
    name: str

    def start(self, live_class: LiveClass) -> None: ...

    def join_config(self, live_class: LiveClass, user: Any, role: str) -> dict | None: ...

    def end(self, live_class: LiveClass) -> None: ...


class NoRoom:
    """Chat only: no audio or video."""

    name = "none"

    def start(self, live_class: LiveClass) -> None:
        return None

    def join_config(self, live_class: LiveClass, user: Any, role: str) -> dict | None:
        return None

    def end(self, live_class: LiveClass) -> None:
        return None


class JitsiRoom:
    """A Jitsi Meet room; rooms are created by joining them, so start/end do nothing."""

    name = "jitsi"

    def __init__(self, server_url: str, app_id: str = "", app_secret: str = "") -> None:
        self.server_url = server_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret

    def start(self, live_class: LiveClass) -> None:
        return None

    def end(self, live_class: LiveClass) -> None:
        return None

    def token(self, live_class: LiveClass, user: Any, role: str) -> str | None:
        """A JWT for the Jitsi server (its token authentication), or None without a secret."""
        if not (self.app_id and self.app_secret):
            return None
        import jwt

        now = int(time.time())
        ends = int(live_class.ends_at.timestamp()) + TOKEN_MARGIN_SECONDS
        claims = {
            "aud": "jitsi",
            "iss": self.app_id,
            "sub": self.server_url.split("://", 1)[-1].split("/", 1)[0],
            "room": live_class.room_name,
            "iat": now,
            "nbf": now - 60,
            "exp": max(ends, now + 3600),
            "moderator": role == STAFF,
            "context": {"user": {"id": str(user.id), "name": user.name,
                                 "moderator": "true" if role == STAFF else "false"}},
        }  # fmt: skip
        return jwt.encode(claims, self.app_secret, algorithm="HS256")

    def join_config(self, live_class: LiveClass, user: Any, role: str) -> dict | None:
        token = self.token(live_class, user, role)
        url = f"{self.server_url}/{quote(live_class.room_name)}"
        if token:
            url += f"?jwt={token}"
        # Display name, the page's language and no pre-join screen, through Jitsi's URL
        # fragment settings.
        url += f'#userInfo.displayName="{quote(user.name or "")}"&config.prejoinPageEnabled=false'
        url += f'&config.defaultLanguage="{current_language()}"'
        return {
            "provider": self.name,
            "url": url,
            "room": live_class.room_name,
            "moderator": role == STAFF,
            "jwt": token,
        }


def get_provider() -> RoomProvider:
    """The provider the site's settings choose."""
    if get_setting("live_classes", "room_provider") == "none":
        return NoRoom()
    return JitsiRoom(
        get_setting("live_classes", "jitsi_url"),
        get_setting("live_classes", "jitsi_app_id"),
        get_setting("live_classes", "jitsi_app_secret"),
    )
