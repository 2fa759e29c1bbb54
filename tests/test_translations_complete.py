"""Every string people read is marked, and every catalogue translates all of them.

`flask lms translations check` prints the same findings; `flask lms translations
update` brings the catalogues in step after a change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from lms.config import PROJECT_ROOT
from lms.i18n_tools import IGNORED_PARTS, Unit, core_unit, plugin_unit, problems
from lms.unmarked_strings import findings, python_findings, template_findings

FIRST_PARTY = sorted(p.parent for p in (PROJECT_ROOT / "plugins").glob("*/lms_*/plugin.py"))
EXAMPLE = PROJECT_ROOT / "examples" / "lms-plugin-hello" / "lms_hello"
UNITS = [core_unit()] + [plugin_unit(p.name, p) for p in [*FIRST_PARTY, EXAMPLE]]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_every_catalogue_has_every_string_translated(unit: Unit) -> None:
    assert problems(unit) == [], "run: flask --app wsgi lms translations update, then translate"


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_every_string_people_read_is_marked(unit: Unit) -> None:
    found = [str(f) for f in findings(unit.sources, unit.root, IGNORED_PARTS)]
    assert found == []


def test_the_check_finds_unmarked_template_text(tmp_path: Path) -> None:
    page = tmp_path / "templates" / "page.html"
    page.parent.mkdir()
    page.write_text(
        "{% extends 'base.html' %}\n"
        "<h1>{{ _('Marked title') }}</h1>\n"
        "<p>Forgotten paragraph</p>\n"
        '<img src="x.png" alt="A forgotten picture">\n'
        "{% trans name=user.name %}Hello {{ name }}{% endtrans %}\n"
        "{{ field(form.title, label='Course title') }}\n"
        "<script>var x = 'not read';</script>\n",
        encoding="utf-8",
    )
    found = {f.text for f in template_findings(page, "page.html", Environment(autoescape=True))}
    assert found == {"Forgotten paragraph", "A forgotten picture", "Course title"}


def test_the_check_finds_unmarked_python_text(tmp_path: Path) -> None:
    module = tmp_path / "views.py"
    module.write_text(
        "flash('Saved.')\n"
        "flash(_('Marked.'))\n"
        "raise CatalogError(f'No course {slug}.')\n"
        "raise ValueError('for programmers')\n"
        "title = StringField(_l('Title'), validators=[Length(max=5, message='Too long.')])\n"
        "level = SelectField(_l('Level'), choices=[('a', 'Advanced'), ('b', _l('Beginner'))])\n",
        encoding="utf-8",
    )
    found = {f.text for f in python_findings(module, "views.py")}
    assert found == {"Saved.", "f-string: No course .", "Too long.", "Advanced"}
