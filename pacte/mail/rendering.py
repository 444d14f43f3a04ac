"""Rendering mail templates strictly: in the recipient's language, and a missing variable is an error.

A message ``template`` such as ``"accounts/email/password_reset"`` names up to three files:
``<template>_subject.txt`` (one line), ``<template>.txt`` (the text part, required) and
``<template>.html`` (the HTML part, optional). Text is written with ``{% translate %}`` /
``{% blocktranslate %}``; the French and English come from the .po catalogues.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist, engines
from django.utils import translation

MISSING = "\x00MISSING:%s\x00"
MISSING_PATTERN = re.compile("\x00MISSING:(.*?)\x00")


class MailTemplateError(ValueError):
    """A mail template is missing or refers to a variable the context does not have."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@functools.cache
def _engine(autoescape: bool) -> Engine:
    base = engines["django"].engine  # type: ignore[attr-defined]
    return Engine(
        dirs=base.dirs,
        app_dirs=base.app_dirs,
        libraries=base.libraries,
        autoescape=autoescape,
        string_if_invalid=MISSING,
    )


def _render(name: str, context: Mapping[str, Any], *, html: bool, required: bool) -> str:
    try:
        template = _engine(html).get_template(name)
    except TemplateDoesNotExist as error:
        if required:
            raise MailTemplateError(f"mail template {name!r} does not exist") from error
        return ""
    output = template.render(Context(dict(context), autoescape=html))
    missing = sorted(set(MISSING_PATTERN.findall(output)))
    if missing:
        raise MailTemplateError(f"mail template {name!r} uses variables the context lacks: {', '.join(missing)}")
    return output


def render_mail(template: str, context: Mapping[str, Any], language: str) -> RenderedMail:
    """Subject, text and HTML of ``template`` in ``language``."""
    with translation.override(language):
        subject = _render(f"{template}_subject.txt", context, html=False, required=True)
        text = _render(f"{template}.txt", context, html=False, required=True)
        html = _render(f"{template}.html", context, html=True, required=False)
    subject = " ".join(subject.split())
    if not subject:
        raise MailTemplateError(f"mail template {template!r} renders an empty subject")
    return RenderedMail(subject=subject[:300], text=text.strip() + "\n", html=html.strip())
