"""Certificates: the student's list, a printable page, a PDF, and the public verification page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from babel.lists import format_list
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.extensions import db
from lms.i18n import _, current_language, text_direction
from lms.permissions import login_required
from lms.settings import get_setting
from lms.urls import external_url
from lms_catalog import services
from lms_catalog.models import Certificate, Enrollment
from lms_catalog.views import bp

# A Unicode TrueType font when the system has one (names are not all Latin-1);
# the PDF core fonts otherwise.
_FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF"]
_FONT_CANDIDATES = [(f"{d}/DejaVuSans.ttf", f"{d}/DejaVuSans-Bold.ttf") for d in _FONT_DIRS]


def school_name() -> str:
    from flask import current_app

    return get_setting("core", "site_name") or current_app.config["LMS_SITE_NAME"]


def _certificate_or_404(code: str) -> Certificate:
    certificate = services.get_certificate(code)
    if certificate is None:
        abort(404)
    enrollment = certificate.enrollment
    # The holder, the course's staff and admins; to everyone else it does not exist.
    if enrollment.user_id != current_user.id and not enrollment.course.is_staff(current_user):
        abort(404)
    return certificate


def certificate_facts(certificate: Certificate) -> dict[str, Any]:
    enrollment = certificate.enrollment
    course = enrollment.course
    names = [u.display_name for u in course.instructors]
    return {
        "student": enrollment.user.display_name,
        "course": course.title,
        "instructors": format_list(names, locale=current_language()) if names else "",
        "instructor_names": names,
        "date": format_date(completion_date(certificate), "long"),
        "code": certificate.code,
        "school": school_name(),
        "verify_url": external_url("catalog.verify_certificate", code=certificate.code),
    }


def completion_date(certificate: Certificate) -> datetime:
    """Return when the course was completed (the certificate is issued at that moment)."""
    return certificate.enrollment.completed_at or certificate.issued_at


def public_facts(certificate: Certificate | None) -> dict[str, Any] | None:
    """Return what an employer checking the code may see, or None for a private certificate."""
    if certificate is None or not certificate.is_public:
        return None
    enrollment = certificate.enrollment
    return {
        "holder": enrollment.user.display_name,
        "course": enrollment.course.title,
        "completed_on": completion_date(certificate),
        "school": school_name(),
        "pdf_url": external_url("catalog.public_certificate_pdf", code=certificate.code),
    }


def build_pdf(facts: dict[str, Any]) -> bytes:
    """Return a one-page landscape A4 certificate."""
    from fpdf import FPDF  # imported here: fpdf costs ~1 s at start-up, PDFs are rare

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(_("Certificate %(code)s", code=facts["code"]))
    pdf.set_author(facts["school"])
    pdf.set_auto_page_break(False)
    pdf.add_page()
    family = "helvetica"
    for regular, bold in _FONT_CANDIDATES:
        if Path(regular).is_file() and Path(bold).is_file():
            pdf.add_font("cert", "", regular)
            pdf.add_font("cert", "B", bold)
            family = "cert"
            break
    if family == "cert" and _can_shape():
        pdf.set_text_shaping(True)  # Arabic letters join and run right to left

    def text(value: str) -> str:
        if family == "cert":
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def line(value: str, size: int, style: str = "", gap: float = 4) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, size * 0.45, text(value), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(14, 14, 269, 182)
    pdf.set_y(30)
    pdf.set_left_margin(25)
    pdf.set_right_margin(25)
    line(facts["school"], 16, "B", 10)
    line(_("Certificate of completion"), 30, "B", 10)
    line(_("This certifies that"), 14)
    line(facts["student"], 26, "B", 6)
    line(_("has completed the course"), 14)
    line(facts["course"], 20, "B", 4)
    if facts["instructors"]:
        line(_("taught by %(names)s", names=facts["instructors"]), 12, "", 8)
    line(_("Issued on %(date)s", date=facts["date"]), 12, "", 2)
    pdf.set_y(172)
    line(_("Certificate code %(code)s", code=facts["code"]), 11, "B", 1)
    line(_("Check it at %(url)s", url=facts["verify_url"]), 9, "", 0)
    return bytes(pdf.output())


def _can_shape() -> bool:
    try:
        import uharfbuzz  # noqa: F401 - optional: fpdf2 shapes text with it
    except ImportError:
        return False
    return True


def pdf_for(certificate: Certificate) -> bytes:
    """The certificate's PDF in the reader's language.

    Right-to-left text needs a shaping engine (uharfbuzz) in a PDF; without
    one, such a language would print as disjoined letters, so the PDF is in
    English instead.
    """
    code = current_language()
    if text_direction(code) == "rtl" and not _can_shape():
        code = "en"
    with force_locale(code):
        return build_pdf(certificate_facts(certificate))


@bp.route("/my/certificates")
@login_required
def my_certificates() -> str:
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .join(Enrollment)
            .where(Enrollment.user_id == current_user.id)
            .options(joinedload(Certificate.enrollment).joinedload(Enrollment.course))
            .order_by(Certificate.issued_at.desc())
        )
    )
    return render_template("catalog/my_certificates.html", certificates=certificates)


@bp.route("/my/certificates/<code>")
@login_required
def certificate(code: str) -> str:
    cert = _certificate_or_404(code)
    return render_template(
        "catalog/certificate.html", certificate=cert, facts=certificate_facts(cert)
    )


@bp.route("/my/certificates/<code>.pdf")
@login_required
def certificate_pdf(code: str) -> Response:
    cert = _certificate_or_404(code)
    response = Response(pdf_for(cert), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{cert.code}.pdf"'
    return response


@bp.route("/my/certificates/<code>/sharing", methods=["POST"])
@login_required
def certificate_sharing(code: str) -> Response:
    """Let the holder show or hide their certificate's details on the public page."""
    cert = _certificate_or_404(code)
    if cert.enrollment.user_id != current_user.id:
        abort(403)  # staff may see it; only the holder decides who else does
    cert.is_public = request.form.get("public") == "1"
    db.session.commit()
    flash(
        _("Anyone with the code now sees your name, the course and the date.")
        if cert.is_public
        else _("Your certificate is private: the public page no longer shows its details."),
        "success",
    )
    return redirect(url_for("catalog.certificate", code=cert.code))


@bp.route("/certificates/<code>")
def verify_certificate(code: str) -> tuple[str, int]:
    """Public: say whether the code is genuine and, if the holder shares it, whose it is."""
    normalised = services.normalise_code(code)[:32]
    certificate = services.get_certificate(code)
    # 200 either way: the page exists; what it says is the answer.
    return render_template(
        "catalog/verify.html",
        code=normalised,
        valid=certificate is not None,
        facts=public_facts(certificate),
    ), 200


@bp.route("/certificates/<code>.pdf")
def public_certificate_pdf(code: str) -> Response:
    """Public: the PDF of a certificate its holder shares."""
    cert = services.get_certificate(code)
    if cert is None or not cert.is_public:
        abort(404)
    response = Response(pdf_for(cert), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{cert.code}.pdf"'
    return response


@bp.route("/certificates")
def verify_form() -> Any:
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("catalog.verify_certificate", code=code[:40]))
    return render_template("catalog/verify.html", code="", valid=None)
