"""The tenant-isolation matrix's parts (``tests/test_tenant_matrix.py`` holds its tests).

The framework: ``framework`` (actors, marker words, ``expect``, ``Call``, ``PageSpec``, ``ApiSpec``,
``World``), ``checks`` (what every case checks, ``run_case``), ``registry`` (every registry's
entries merged, the routes and operations discovered), ``world`` (``build_world``).

The registries, one or a few per app: each module defines ``PAGES`` and ``API`` (entries in the
vocabulary of ``tests.matrix.framework``) and ``build(tenant, provider_word, client_word)``, which
creates the tenant's objects its entries name (marker words in every name) and returns A's ids by key
(``{"ticket": 12}``) for URL arguments. List a new module in ``APP_REGISTRIES`` (the world is built
in this order, A then B for each).
"""

from __future__ import annotations

from types import ModuleType


def _registries() -> list[ModuleType]:
    from tests.matrix import (
        accounts,
        assets,
        billing,
        contracts,
        contracts_portal,
        contracts_revisions,
        documents,
        interventions_api,
        interventions_planning,
        interventions_preventive,
        interventions_sheets,
        interventions_sign,
        ledger,
        mail,
        servicedesk_api,
        servicedesk_pages,
        servicedesk_portal,
        sla,
        tenancy,
        tenancy_provider,
    )

    return [
        accounts,
        tenancy,
        sla,
        documents,
        mail,
        assets,
        contracts_revisions,
        contracts_portal,
        contracts,
        servicedesk_pages,
        servicedesk_portal,
        servicedesk_api,
        interventions_sheets,
        interventions_api,
        interventions_sign,
        interventions_planning,
        interventions_preventive,
        ledger,
        billing,
        tenancy_provider,
    ]


APP_REGISTRIES = _registries()
