"""Signals of the lessons plugin. Connect receivers in your Plugin.init() with ``self.connect()``.

Receivers run inside the request or job that sent the signal, before it
commits: they may change the database, and must use ``lms.tasks.enqueue``
(jobs) or ``lms.commit.on_commit`` for work that must wait for the commit.
The course's completion is the catalog's event: ``lms_catalog.course_completed``.
"""

from blinker import Namespace

_signals = Namespace()

#: An enrolled student opened a lesson for the first time.
#: sender: the Lesson. kwargs: user (the User).
lesson_started = _signals.signal("lessons-lesson-started")

#: An enrolled student completed a lesson (sent once per student and lesson).
#: sender: the Lesson. kwargs: user (the User), via ("manual": the student's
#: "mark as complete"; "watched": a media player's progress; "external":
#: another plugin called ``complete_lesson``, e.g. a passed quiz).
lesson_completed = _signals.signal("lessons-lesson-completed")

#: A lesson is being deleted, alone or with its section; its row is still
#: there, so receivers can delete their own rows that point at it.
#: sender: the Lesson.
lesson_deleted = _signals.signal("lessons-lesson-deleted")
