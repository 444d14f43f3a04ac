"""Deployment checks of Pacte's own (run by ``manage.py check --deploy``)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY and os.environ.get("PACTE_DEMO") != "1":
        messages.append(
            Error(
                "The demo secret key is in use.",
                hint="Set PACTE_SECRET_KEY to a random value of at least 50 characters.",
                id="pacte.E001",
            )
        )
    if not settings.HTTPS:
        messages.append(
            Warning(
                "PACTE_HTTPS is off: cookies are not marked secure and HTTP is not redirected to HTTPS.",
                hint="Serve Pacte over HTTPS and leave PACTE_HTTPS on (the default).",
                id="pacte.W001",
            )
        )
    return messages
