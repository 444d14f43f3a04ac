"""Builders shared by the service desk tests: service levels, contracts in force, tickets."""

from __future__ import annotations

import datetime
from typing import Any

from pacte.assets.models import Asset
from pacte.contracts import dates as contract_dates
from pacte.contracts import services as contract_services
from pacte.contracts.models import Contract, ServiceCategory
from pacte.servicedesk import services
from pacte.servicedesk.models import Ticket
from pacte.sla import services as sla_services
from pacte.sla.models import ServiceLevel

WEEK = {day: [["08:00", "12:00"], ["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
WEEK.update({"sat": [], "sun": []})


def service_level(tenant: Any, name: str = "Standard", **seconds: int) -> ServiceLevel:
    """A business-hours service level (Mon–Fri 8–12, 14–18) with P1 and P3 targets."""
    calendar = sla_services.calendar_create(actor=tenant.manager, name=f"Heures ouvrées {name}", week=WEEK)
    targets = [
        {"priority": "P1", "kind": "response", "seconds": seconds.get("p1_response", 3600)},
        {"priority": "P1", "kind": "restoration", "seconds": seconds.get("p1_restoration", 4 * 3600)},
        {"priority": "P1", "kind": "resolution", "seconds": seconds.get("p1_resolution", 8 * 3600)},
        {"priority": "P3", "kind": "response", "seconds": seconds.get("p3_response", 4 * 3600)},
        {"priority": "P3", "kind": "resolution", "seconds": seconds.get("p3_resolution", 16 * 3600)},
    ]
    return sla_services.service_level_create(actor=tenant.manager, name=name, calendar=calendar, targets=targets)


def asset(tenant: Any, serial: str, *, hostname: str = "", site: Any = None, client: Any = None) -> Asset:
    return Asset.objects.create(
        provider=tenant.provider,
        client=client or tenant.client,
        site=site or tenant.site,
        name=serial,
        serial=serial,
        hostname=hostname,
    )


def category(tenant: Any, code: str, name: str = "") -> ServiceCategory:
    return ServiceCategory.objects.create(provider=tenant.provider, code=code, name=name or code.title())


def contract_in_force(
    tenant: Any,
    *,
    start: datetime.date | None = None,
    months: int = 12,
    title: str = "Assistance",
    client: Any = None,
    **terms: Any,
) -> Contract:
    """An active contract signed without the ceremony (no seal certificate needed), started ``start``."""
    start = start or datetime.date.today() - datetime.timedelta(days=30)  # noqa: DTZ011
    data = {
        "contract_type": "assistance",
        "billing_model": {"kind": "fixed_fee", "fee": "900.00", "period": "month"},
        "renewal": {"kind": "tacit", "notice_months": 2},
        **terms,
    }
    contract = contract_services.contract_create(
        actor=tenant.manager,
        client=client or tenant.client,
        title=title,
        start_date=start,
        duration_months=months,
        terms=data,
    )
    contract.versions.update(status="signed", signed_at=datetime.datetime.now(datetime.UTC))
    last = contract_dates.term_last_day(start, months)
    Contract.objects.filter(pk=contract.pk).update(status="active", term_number=1, term_start=start, term_end=last)
    contract.refresh_from_db()
    return contract


def ticket(tenant: Any, *, actor: Any = None, **kwargs: Any) -> Ticket:
    kwargs.setdefault("client", tenant.client)
    kwargs.setdefault("title", "Imprimante en panne")
    return services.ticket_open(actor=actor or tenant.technician, **kwargs)
