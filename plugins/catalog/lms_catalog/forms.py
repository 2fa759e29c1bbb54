"""Forms of the catalog pages (the API validates with its own schemas, same services)."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from lms.i18n import _l
from lms_catalog import services
from lms_catalog.models import LEVEL_LABELS

# Each language's name in itself, as language menus show them (not translated).
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("de", "Deutsch"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("ar", "العربية"),
    ("zh", "中文"),
]


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=services.TITLE_MAX)])
    subtitle = StringField(
        _l("Subtitle"), validators=[Optional(), Length(max=services.SUBTITLE_MAX)]
    )
    description_md = TextAreaField(
        _l("Description (Markdown)"), validators=[Optional(), Length(max=services.TEXT_MAX)]
    )
    outcomes_md = TextAreaField(
        _l("What you will learn (Markdown)"), validators=[Optional(), Length(max=services.TEXT_MAX)]
    )
    category_id = SelectField(_l("Category"), coerce=int, default=0)
    level = SelectField(_l("Level"), choices=list(LEVEL_LABELS.items()))
    language = SelectField(_l("Language"), choices=LANGUAGES, default="en")
    price = DecimalField(
        _l("Price (0 = free)"),
        places=2,
        default=Decimal("0"),
        validators=[Optional(), NumberRange(min=0, max=services.PRICE_MAX / 100)],
    )
    thumbnail = FileField(_l("Thumbnail image (JPEG, PNG, WebP or GIF; shown at 16:9)"))

    def course_data(self) -> dict[str, object]:
        price = self.price.data or Decimal("0")
        return {
            "title": self.title.data,
            "subtitle": self.subtitle.data or "",
            "description_md": self.description_md.data or "",
            "outcomes_md": self.outcomes_md.data or "",
            "category_id": self.category_id.data or None,
            "level": self.level.data,
            "language": self.language.data,
            "price_cents": int((price * 100).to_integral_value()),
        }


class CourseEditForm(CourseForm):
    slug = StringField(
        _l("Address (/courses/…)"),
        validators=[
            DataRequired(),
            Length(max=services.SLUG_MAX),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use lower-case letters, digits and single hyphens."),
            ),
        ],
    )


class FeedbackForm(FlaskForm):
    feedback = TextAreaField(
        _l("Feedback for the instructor"),
        validators=[
            DataRequired(message=_l("Tell the instructor what to change.")),
            Length(max=services.FEEDBACK_MAX),
        ],
    )


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
