"""The contracts' index table, alert settings and price revision in the tenant-isolation matrix.

See ``tests/matrix/__init__.py``. A has Syntec values and an active contract of its client with a
revision clause, revised once: provider roles read, its managers write (a technician: 403); the
client's manager reads its contract's revisions through the API.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from pacte.contracts import indexes as contract_indexes
from pacte.contracts import revisions as contract_revisions
from pacte.contracts import services as contract_services
from tests.fixtures import Tenant
from tests.matrix.framework import ApiSpec, Call, PageSpec, Redirect, World, api_call, provider_page


def index_value_form(world: World) -> dict[str, Any]:
    return {
        "index_code": "SYNTEC",
        "month": "2029-03",
        "series": "current",
        "value": "330,5",
        "published_on": "2029-04-20",
    }


def index_import_form(world: World) -> dict[str, Any]:
    """A CSV of index values (its preview is a read: the file waits in the session)."""
    content = "mois;valeur;publié le\r\n03/2029;330,5;20/04/2029\r\n".encode()
    return {"index_code": "SYNTEC", "file": SimpleUploadedFile("syntec.csv", content, content_type="text/csv")}


PAGES: dict[str, PageSpec] = {
    # Contracts: the index table (provider roles read, managers write), alert settings (admins), price revision
    "contracts:index_list": PageSpec(
        get=Call(provider_page(provider=200, other_admin=200)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:index_create": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                managers=Redirect("contracts:index_list", exact=False),
                technician=403,
                other_admin=Redirect("contracts:index_list", exact=False),
            ),
            data=index_value_form,
            audits=1,
        ),
    ),
    "contracts:index_update": PageSpec(
        kwargs={"pk": "index_value"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        post=Call(
            provider_page(managers=Redirect("contracts:index_list", exact=False), technician=403, other_admin=404),
            data=index_value_form,
            audits=1,
        ),
    ),
    "contracts:index_delete": PageSpec(
        kwargs={"pk": "index_value"},
        get=Call(provider_page(provider=405, other_admin=405)),
        post=Call(
            provider_page(managers=Redirect("contracts:index_list", exact=False), technician=403, other_admin=404),
            audits=1,
        ),
    ),
    "contracts:index_import": PageSpec(
        get=Call(provider_page(managers=200, technician=403, other_admin=200)),
        post=Call(provider_page(managers=200, technician=403, other_admin=200), data=index_import_form, audits=0),
    ),
    "contracts:index_import_confirm": PageSpec(
        get=Call(provider_page(managers=405, technician=403, other_admin=405)),
        # Nothing waits in this session: back to the upload page, nothing written.
        post=Call(
            provider_page(
                managers=Redirect("contracts:index_import"),
                technician=403,
                other_admin=Redirect("contracts:index_import"),
            ),
            audits=0,
        ),
    ),
    "contracts:settings": PageSpec(
        get=Call(provider_page(admin=200, manager=403, technician=403, other_admin=200)),
        post=Call(
            provider_page(
                admin=Redirect("contracts:settings"),
                manager=403,
                technician=403,
                other_admin=Redirect("contracts:settings"),
            ),
            data=lambda world: {"lead_days": "60, 15", "alerts_enabled": "on"},
            audits=1,
        ),
    ),
    "contracts:revision_list": PageSpec(
        kwargs={"pk": "revision_contract"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
    "contracts:revision_start": PageSpec(
        kwargs={"pk": "revision_contract"},
        get=Call(provider_page(managers=200, technician=403, other_admin=404)),
        # The preview writes nothing.
        post=Call(
            provider_page(managers=200, technician=403, other_admin=404),
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=0,
        ),
    ),
    "contracts:revision_apply": PageSpec(
        kwargs={"pk": "revision_contract"},
        get=Call(provider_page(managers=405, technician=403, other_admin=405)),
        # The revised version, the Revision row, the letter (document.create) and its e-mail.
        post=Call(
            provider_page(
                managers=Redirect("contracts:revision_list", ("revision_contract",), exact=False),
                technician=403,
                other_admin=404,
            ),
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=2,
        ),
    ),
    "contracts:revision_detail": PageSpec(
        kwargs={"pk": "revision_contract", "revision_pk": "revision"},
        get=Call(provider_page(provider=200, other_admin=404)),
        post=Call(provider_page(provider=405, other_admin=405)),
    ),
}

API: dict[str, ApiSpec] = {
    # Contracts: the index table and price revision.
    "GET /api/v1/index-values": ApiSpec(api_call(members=200)),
    "POST /api/v1/index-values": ApiSpec(
        api_call(
            members=403,
            managers=201,
            other_admin=201,
            data=lambda world: {"month": "2029-03-01", "value": "330.5", "published_on": "2029-04-20"},
            audits=1,
        )
    ),
    # The CSV comes as a multipart file (or a text/csv body); the matrix sends JSON, so there is none: 422.
    "POST /api/v1/index-values/import": ApiSpec(api_call(members=403, managers=422, other_admin=422)),
    "GET /api/v1/contracts/{contract_id}/revisions": ApiSpec(
        api_call(provider=200, client_manager=200, client_user=404, other_client_manager=404, other_admin=404),
        {"contract_id": "revision_contract"},
    ),
    "POST /api/v1/contracts/{contract_id}/revisions/preview": ApiSpec(
        api_call(
            managers=200,
            technician=403,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=0,
        ),
        {"contract_id": "revision_contract"},
    ),
    "POST /api/v1/contracts/{contract_id}/revisions": ApiSpec(
        api_call(
            managers=201,
            technician=403,
            client_manager=403,
            client_user=404,
            other_client_manager=404,
            other_admin=404,
            data=lambda world: {"revision_date": "2029-01-01"},
            audits=2,
        ),
        {"contract_id": "revision_contract"},
    ),
}


def _revisions(tenant: Tenant, client_word: str) -> dict[str, int]:
    """Syntec values, an active contract of the tenant's client with a revision clause, revised on 1 Jan 2028
    (its letter unsealed: no seal certificate here), and an index value no revision used (to edit, delete)."""
    actor = tenant.manager
    for month, value, published in (((2026, 10), "306.0", (2026, 11, 20)), ((2027, 10), "314.5", (2027, 11, 25))):
        contract_indexes.index_value_create(
            actor=actor,
            month=datetime.date(*month, 1),
            value=Decimal(value),
            published_on=datetime.date(*published),
        )
    contract_indexes.index_value_create(
        actor=actor, month=datetime.date(2028, 10, 1), value=Decimal("320.8"), published_on=datetime.date(2028, 11, 20)
    )
    spare = contract_indexes.index_value_create(
        actor=actor, month=datetime.date(2027, 1, 1), value=Decimal("308.0"), published_on=datetime.date(2027, 2, 20)
    )
    contract = contract_services.contract_create(
        actor=actor,
        client=tenant.client,
        title=f"Assistance {client_word.title()}",
        start_date=datetime.date(2027, 1, 1),
        duration_months=12,
        terms={
            "contract_type": "assistance",
            "billing_model": {"kind": "fixed_fee", "fee": "1000.00", "included_unit": "none"},
            "price_revision": {"index_code": "SYNTEC", "reference_month": "2026-10-01"},
        },
    )
    # Signed and active without the signing ceremony (it needs a seal certificate; the contracts' own tests do it).
    contract.versions.update(status="signed", signed_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
    contract.status, contract.term_number = "active", 1
    contract.term_start, contract.term_end = datetime.date(2027, 1, 1), datetime.date(2027, 12, 31)
    contract.save()
    revision = contract_revisions.revision_apply(
        actor=actor, contract=contract, revision_date=datetime.date(2028, 1, 1)
    )
    return {"revision_contract": contract.pk, "revision": revision.pk, "index_value": spare.pk}


def build(tenant: Tenant, provider_word: str, client_word: str) -> dict[str, int]:
    return _revisions(tenant, client_word)
