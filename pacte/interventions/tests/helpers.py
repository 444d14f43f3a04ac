"""Builders shared by the interventions tests: a contract in force, equipment, a sheet.

Re-exports the service desk's builders (``service_level``, ``asset``, ``contract_in_force``,
``ticket``): a contract here is an active one signed without the ceremony.
"""

from __future__ import annotations

import datetime
from typing import Any

from pacte.interventions import services
from pacte.interventions.models import Intervention, Mode
from pacte.servicedesk.tests.helpers import WEEK, asset, contract_in_force, service_level, ticket

__all__ = ["WEEK", "asset", "contract_in_force", "service_level", "sheet", "ticket", "covered_contract"]


def covered_contract(tenant: Any, **terms: Any) -> Any:
    """A contract in force with a business-hours service level (Mon–Fri 8–12, 14–18, Europe/Paris)."""
    level = service_level(tenant)
    terms.setdefault("service_level", level.pk)
    return contract_in_force(tenant, **terms)


def sheet(
    tenant: Any,
    *,
    actor: Any = None,
    mode: str = Mode.ON_SITE,
    contract: Any = None,
    planned_start: datetime.datetime | None = None,
    planned_end: datetime.datetime | None = None,
    **kwargs: Any,
) -> Intervention:
    kwargs.setdefault("client", tenant.client)
    kwargs.setdefault("title", "Remplacement du disque du serveur")
    kwargs.setdefault("site", tenant.site)
    kwargs.setdefault("technicians", [tenant.technician])
    return services.sheet_create(
        actor=actor or tenant.technician,
        mode=mode,
        contract=contract,
        planned_start=planned_start,
        planned_end=planned_end,
        **kwargs,
    )
