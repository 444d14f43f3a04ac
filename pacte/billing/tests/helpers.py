"""Billing test helpers: a tenant with the legal identity an invoice needs."""

from __future__ import annotations

from typing import Any

from pacte.tenancy.models import Client, Provider


def vat_of(siren: str) -> str:
    """DOMAIN.md: FR + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def legal_identity(tenant: Any, *, seller_siren: str = "732829320") -> Any:
    """Give the tenant's provider and clients what DOMAIN.md's mandatory mentions need (SIREN, VAT, address)."""
    Provider.objects.filter(pk=tenant.provider.pk).update(
        legal_name=f"{tenant.provider.name} SAS",
        legal_form="SAS",
        siren=seller_siren,
        siret=seller_siren + "00074",
        vat_number=vat_of(seller_siren),
        address="12 rue de la République",
        postal_code="69002",
        city="Lyon",
        rcs_city="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    for client in (tenant.client, tenant.other_client):
        Client.objects.filter(pk=client.pk).update(
            address="3 place Bellecour", postal_code="69002", city="Lyon", vat_number=vat_of(client.siren)
        )
    for item in (tenant.provider, tenant.client, tenant.other_client):
        item.refresh_from_db()
    return tenant
