"""Core models. Plugins keep theirs in their own package, with their table prefix."""

from lms.models.notification import Notification
from lms.models.permission import PermissionGrant, PermissionRecord
from lms.models.session import UserSession
from lms.models.setting import Setting
from lms.models.task import Task, TaskStatus
from lms.models.types import JSONType, UTCDateTime, utcnow
from lms.models.user import Role, User

CORE_TABLES = frozenset(
    {
        "users",
        "user_sessions",
        "settings",
        "tasks",
        "notifications",
        "permissions",
        "permission_grants",
    }
)

__all__ = [
    "CORE_TABLES",
    "JSONType",
    "Notification",
    "PermissionGrant",
    "PermissionRecord",
    "Role",
    "Setting",
    "Task",
    "TaskStatus",
    "UTCDateTime",
    "User",
    "UserSession",
    "utcnow",
]
