"""Forms of the course editor (the lesson type's own fields come from its ContentForm)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms_lessons.models import DRAFT, PUBLISHED
from lms_lessons.services import DESCRIPTION_MAX, DURATION_MAX, TITLE_MAX


class SectionForm(FlaskForm):
    title = StringField(
        "Section title",
        validators=[
            DataRequired(message="Give the section a title."),
            Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters."),
        ],
    )


class NewLessonForm(FlaskForm):
    title = StringField(
        "Lesson title",
        validators=[
            DataRequired(message="Give the lesson a title."),
            Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters."),
        ],
    )
    type = SelectField("Type", choices=[], validate_choice=True)


class LessonForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[
            DataRequired(message="Give the lesson a title."),
            Length(max=TITLE_MAX, message=f"At most {TITLE_MAX} characters."),
        ],
    )
    description = TextAreaField(
        "Short description",
        validators=[Length(max=DESCRIPTION_MAX, message=f"At most {DESCRIPTION_MAX} characters.")],
        render_kw={"rows": 3},
    )
    duration_minutes = IntegerField(
        "Duration (minutes)",
        validators=[
            Optional(),
            NumberRange(min=0, max=DURATION_MAX // 60, message="Between 0 and 6000 minutes."),
        ],
    )
    status = SelectField(
        "Status", choices=[(DRAFT, "Draft (only staff see it)"), (PUBLISHED, "Published")]
    )
    free_preview = BooleanField("Free preview: anyone may open it before enrolling")

    def lesson_data(self) -> dict[str, object]:
        minutes = self.duration_minutes.data
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "duration_seconds": int(minutes * 60) if minutes is not None else 0,
            "status": self.status.data,
            "free_preview": bool(self.free_preview.data),
        }
