"""Forms of the pages: schedule or edit a class, a course's attendance rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.i18n import _, _l
from lms_live_classes.scheduling import (
    DESCRIPTION_MAX,
    DURATION_MAX,
    DURATION_MIN,
    SEATS_MAX,
    TITLE_MAX,
)


class _DateField(DateField):
    """A date (year-month-day, as browsers send it) with a plain message when it is not one."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Give a valid date (year-month-day).")) from exc


class _TimeField(TimeField):
    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Give a valid time (hours:minutes).")) from exc


def _coerce_lesson(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1  # not a choice: the field says so


class ClassForm(FlaskForm):
    """Schedule a class, or change one (the time is in the school's time zone)."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Give the class a title.")), Length(max=TITLE_MAX)],
    )
    description = TextAreaField(
        _l("Description (optional)"), validators=[Optional(), Length(max=DESCRIPTION_MAX)]
    )
    start_date = _DateField(
        _l("Date"),
        validators=[InputRequired(_l("Give the date of the class."))],
        render_kw={"autocomplete": "off"},
    )
    start_time = _TimeField(
        _l("Start time"),
        validators=[InputRequired(_l("Give the start time of the class."))],
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            InputRequired(_l("Give the duration in minutes.")),
            NumberRange(
                DURATION_MIN,
                DURATION_MAX,
                _l(
                    "The duration must be between %(low)d and %(high)d minutes.",
                    low=DURATION_MIN,
                    high=DURATION_MAX,
                ),
            ),
        ],
        default=60,
        render_kw={"min": DURATION_MIN, "max": DURATION_MAX, "inputmode": "numeric"},
    )
    seats = IntegerField(
        _l("Seats (students at most)"),
        validators=[
            InputRequired(_l("Give the number of seats.")),
            NumberRange(
                1,
                SEATS_MAX,
                _l(
                    "The number of seats must be between %(low)d and %(high)d.",
                    low=1,
                    high=SEATS_MAX,
                ),
            ),
        ],
        default=30,
        render_kw={"min": 1, "max": SEATS_MAX, "inputmode": "numeric"},
    )
    lesson_id = SelectField(
        _l("Lesson of the syllabus (optional)"), coerce=_coerce_lesson, default=0
    )

    def __init__(self, *args: object, lessons: list[tuple[int, str]] | None = None, **kw: object):
        super().__init__(*args, **kw)
        self.lesson_id.choices = [(0, _("No lesson")), *(lessons or [])]


class RulesForm(FlaskForm):
    """A course's attendance rules."""

    late_after_minutes = IntegerField(
        _l("Late after (minutes from the start)"),
        validators=[
            InputRequired(_l("Give a number of minutes.")),
            NumberRange(
                0, 480, _l("Must be a whole number between %(low)d and %(high)d.", low=0, high=480)
            ),
        ],
        render_kw={"min": 0, "max": 480, "inputmode": "numeric"},
    )
    present_share = IntegerField(
        _l("Present from (% of the class)"),
        validators=[
            InputRequired(_l("Give a percentage.")),
            NumberRange(
                1, 100, _l("Must be a whole number between %(low)d and %(high)d.", low=1, high=100)
            ),
        ],
        render_kw={"min": 1, "max": 100, "inputmode": "numeric"},
    )
