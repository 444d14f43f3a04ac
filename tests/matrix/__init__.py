"""Per-app parts of the tenant-isolation matrix (``tests/test_tenant_matrix.py`` reads them).

Each module defines ``PAGES`` and ``API`` (entries in the vocabulary of ``tests.test_tenant_matrix``:
``PageSpec``, ``ApiSpec``, ``Call``, ``expect``, …) and ``build(tenant, provider_word, client_word)``,
which creates the tenant's objects its entries name (marker words in every name) and returns A's ids
by key (``{"ticket": 12}``) for URL arguments. Import the vocabulary inside the module from
``tests.test_tenant_matrix`` (it is loaded first); list the module in ``APP_REGISTRIES``.
"""

from __future__ import annotations

from types import ModuleType


def _registries() -> list[ModuleType]:
    from tests.matrix import (
        billing,
        interventions_api,
        interventions_planning,
        interventions_preventive,
        interventions_sheets,
        interventions_sign,
        ledger,
        servicedesk_api,
        servicedesk_pages,
        servicedesk_portal,
        tenancy_provider,
    )

    return [
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
