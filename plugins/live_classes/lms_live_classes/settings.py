"""The plugin's site settings (an admin changes them at /admin/settings)."""

from __future__ import annotations

from lms.i18n import _l
from lms.settings import SettingSpec

# No time-zone setting here: the school's zone is the core's (``core.timezone``).
SETTINGS: dict[str, SettingSpec] = {
    "reminder_minutes": SettingSpec(
        int,
        30,
        min=1,
        max=7 * 24 * 60,
        label=_l("Reminder before a class (minutes)"),
        description=_l(
            "Enrolled students get an in-app and e-mail reminder this long before a class starts."
        ),
    ),
    "end_grace_minutes": SettingSpec(
        int,
        15,
        min=0,
        max=24 * 60,
        label=_l("Automatic end after the scheduled end (minutes)"),
        description=_l(
            "A class still live this long after its scheduled end is ended automatically."
        ),
    ),
    "offer_seconds": SettingSpec(
        int,
        60,
        min=5,
        max=3600,
        label=_l("Time to take an offered seat (seconds)"),
        description=_l(
            "When a seat frees, the first student of the waitlist has this long to "
            "take it before it passes to the next."
        ),
    ),
    "presence_grace_seconds": SettingSpec(
        int,
        30,
        min=0,
        max=3600,
        label=_l("Seat kept after leaving (seconds)"),
        description=_l(
            "A student who leaves or loses the connection keeps the seat this long, "
            "in case they come back."
        ),
    ),
    "room_provider": SettingSpec(
        str,
        "jitsi",
        choices=[("jitsi", _l("Jitsi (video and audio)")), ("none", _l("None (chat only)"))],
        label=_l("Video room provider"),
        description=_l("Where the audio and video of a class happen."),
    ),
    "jitsi_url": SettingSpec(
        str,
        "https://meet.jit.si",
        label=_l("Jitsi server address"),
        description=_l("The address of the Jitsi Meet server that hosts the rooms."),
        max_length=300,
    ),
    "jitsi_app_id": SettingSpec(
        str,
        "",
        label=_l("Jitsi app id (JWT)"),
        description=_l("Leave empty unless the Jitsi server requires signed tokens."),
        max_length=200,
    ),
    "jitsi_app_secret": SettingSpec(
        str,
        "",
        label=_l("Jitsi app secret (JWT)"),
        description=_l("The secret that signs the room tokens; empty: no token."),
        max_length=500,
    ),
}
