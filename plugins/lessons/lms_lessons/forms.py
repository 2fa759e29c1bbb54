"""Forms of the course editor (the lesson type's own fields come from its ContentForm)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.i18n import _l
from lms_lessons.models import DRAFT, PUBLISHED
from lms_lessons.services import DESCRIPTION_MAX, DURATION_MAX, TITLE_MAX


class SectionForm(FlaskForm):
    title = StringField(
        _l("Section title"),
        validators=[
            DataRequired(message=_l("Give the section a title.")),
            Length(max=TITLE_MAX, message=_l("At most %(num)d characters.", num=TITLE_MAX)),
        ],
    )


class NewLessonForm(FlaskForm):
    title = StringField(
        _l("Lesson title"),
        validators=[
            DataRequired(message=_l("Give the lesson a title.")),
            Length(max=TITLE_MAX, message=_l("At most %(num)d characters.", num=TITLE_MAX)),
        ],
    )
    type = SelectField(_l("Type"), choices=[], validate_choice=True)


class LessonForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the lesson a title.")),
            Length(max=TITLE_MAX, message=_l("At most %(num)d characters.", num=TITLE_MAX)),
        ],
    )
    description = TextAreaField(
        _l("Short description"),
        validators=[
            Length(
                max=DESCRIPTION_MAX, message=_l("At most %(num)d characters.", num=DESCRIPTION_MAX)
            )
        ],
        render_kw={"rows": 3},
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=DURATION_MAX // 60, message=_l("Between 0 and 6000 minutes.")),
        ],
    )
    status = SelectField(
        _l("Status"),
        choices=[(DRAFT, _l("Draft (only staff see it)")), (PUBLISHED, _l("Published"))],
    )
    free_preview = BooleanField(_l("Free preview: anyone may open it before enrolling"))

    def lesson_data(self) -> dict[str, object]:
        minutes = self.duration_minutes.data
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "duration_seconds": int(minutes * 60) if minutes is not None else 0,
            "status": self.status.data,
            "free_preview": bool(self.free_preview.data),
        }
