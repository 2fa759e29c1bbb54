"""The plugin's signals (listed in docs/hooks-and-signals.md)."""

from blinker import Namespace

_signals = Namespace()

#: A class was scheduled. sender: the LiveClass. kwargs: actor (the user who scheduled it).
class_scheduled = _signals.signal("live-classes-class-scheduled")
#: A class went live. sender: the LiveClass. kwargs: actor (None when started by a job).
class_started = _signals.signal("live-classes-class-started")
#: A class ended (by its staff, or by the periodic job after its end plus the grace);
#: its open attendance intervals are closed already. sender: the LiveClass.
#: kwargs: actor (None for the job).
class_ended = _signals.signal("live-classes-class-ended")
#: A scheduled class was cancelled. sender: the LiveClass. kwargs: actor.
class_cancelled = _signals.signal("live-classes-class-cancelled")
