"""Core signals. Plugins connect receivers in `Plugin.init()` with `self.connect()`.

Each signal is sent with a sender and keyword arguments, documented below.
Receivers run inside the request or job that sent the signal, before its
commit: they may change the database; anything that should happen only once
the change is saved goes through `lms.commit.on_commit` (`lms.tasks.enqueue`
already does). Every signal, the core's and the plugins', is listed in
docs/hooks-and-signals.md.
"""

from blinker import Namespace

_signals = Namespace()

#: All plugins are loaded and initialised. sender: the app.
plugins_loaded = _signals.signal("plugins-loaded")

#: A user account was created (form, API, OAuth or CLI). sender: the User.
#: kwargs: via ("form", "api", "oauth", "cli", "setup").
user_registered = _signals.signal("user-registered")

#: A user signed in. sender: the User. kwargs: via.
user_logged_in = _signals.signal("user-logged-in")

#: A user's role changed. sender: the User. kwargs: old_role, new_role, by (User or None).
user_role_changed = _signals.signal("user-role-changed")

#: A notification was stored. sender: the Notification.
notification_created = _signals.signal("notification-created")

#: A background task finished. sender: the Task.
task_finished = _signals.signal("task-finished")

#: A background task failed for good (retries used up). sender: the Task.
task_failed = _signals.signal("task-failed")
