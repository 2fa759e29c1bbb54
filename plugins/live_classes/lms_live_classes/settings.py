"""The plugin's site settings (an admin changes them at /admin/settings)."""

from __future__ import annotations

from zoneinfo import available_timezones

from lms.settings import SettingSpec

# The core has no time-zone setting (and users have no time zone): the school's
# zone is this plugin's, used to read the schedule form and to show every time.
_ZONES = [(name, name.replace("_", " ")) for name in sorted(available_timezones())]
if ("UTC", "UTC") not in _ZONES:  # a system without tzdata still knows UTC
    _ZONES.insert(0, ("UTC", "UTC"))

SETTINGS: dict[str, SettingSpec] = {
    "school_timezone": SettingSpec(
        str,
        "UTC",
        label="School time zone",
        description="Class times are typed in this time zone and shown in it.",
        choices=_ZONES,
        max_length=64,
    ),
    "reminder_minutes": SettingSpec(
        int,
        30,
        min=1,
        max=7 * 24 * 60,
        label="Reminder before a class (minutes)",
        description="Enrolled students get an in-app and e-mail reminder this long before "
        "a class starts.",
    ),
    "end_grace_minutes": SettingSpec(
        int,
        15,
        min=0,
        max=24 * 60,
        label="Automatic end after the scheduled end (minutes)",
        description="A class still live this long after its scheduled end is ended automatically.",
    ),
    "offer_seconds": SettingSpec(
        int,
        60,
        min=5,
        max=3600,
        label="Time to take an offered seat (seconds)",
        description="When a seat frees, the first student of the waitlist has this long to "
        "take it before it passes to the next.",
    ),
    "presence_grace_seconds": SettingSpec(
        int,
        30,
        min=0,
        max=3600,
        label="Seat kept after leaving (seconds)",
        description="A student who leaves or loses the connection keeps the seat this long, "
        "in case they come back.",
    ),
    "room_provider": SettingSpec(
        str,
        "jitsi",
        choices=[("jitsi", "Jitsi (video and audio)"), ("none", "None (chat only)")],
        label="Video room provider",
        description="Where the audio and video of a class happen.",
    ),
    "jitsi_url": SettingSpec(
        str,
        "https://meet.jit.si",
        label="Jitsi server address",
        description="The address of the Jitsi Meet server that hosts the rooms.",
        max_length=300,
    ),
    "jitsi_app_id": SettingSpec(
        str,
        "",
        label="Jitsi app id (JWT)",
        description="Leave empty unless the Jitsi server requires signed tokens.",
        max_length=200,
    ),
    "jitsi_app_secret": SettingSpec(
        str,
        "",
        label="Jitsi app secret (JWT)",
        description="The secret that signs the room tokens; empty: no token.",
        max_length=500,
    ),
}
