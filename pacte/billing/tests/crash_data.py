"""Two providers with the same contracts and the same work, in a committed database (run as a script).

``python -m pacte.billing.tests.crash_data N`` (with ``DATABASE_URL`` set) prints the two providers'
ids as JSON: the crash test bills one cleanly and the other under SIGKILL, then compares them.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from decimal import Decimal


def build(contracts: int) -> list[int]:
    from pacte.billing.tests.helpers import legal_identity
    from pacte.ledger.services import movement_post
    from pacte.ledger.tests.helpers_l3 import consume, fixed_fee_contract
    from pacte.servicedesk.tests.helpers import contract_in_force
    from pacte.tenancy.models import Client
    from tests.fixtures import make_tenant

    providers = []
    for label in ("A", "B"):
        tenant = legal_identity(make_tenant(label))
        Client.objects.filter(pk=tenant.client.pk).update(name="Client Alpha")
        Client.objects.filter(pk=tenant.other_client.pk).update(name="Client Beta")
        tenant.client.refresh_from_db()
        tenant.other_client.refresh_from_db()
        for n in range(contracts):
            client = tenant.client if n % 2 else tenant.other_client
            if n % 3 == 2:
                contract = contract_in_force(
                    tenant,
                    start=datetime.date(2026, 1, 1),
                    months=24,
                    client=client,
                    billing_model={"kind": "time_and_materials", "labour_rate": "80.00"},
                )
                for k in range(n % 4 + 1):
                    movement_post(
                        contract=contract,
                        unit="euros",
                        kind="consumption",
                        quantity=Decimal("-1"),
                        service_date=datetime.date(2026, 10, 5 + k),
                        source_kind="sheet",
                        source_id=f"{contract.pk}{k}",
                        key=f"sheet:crash-{contract.pk}-{k}:labour",
                        rule={"billing_model": "time_and_materials"},
                        amount=Decimal("80.00") * (k + 1) + Decimal("0.35"),
                        description=f"Intervention {k + 1}",
                    )
            else:
                contract = fixed_fee_contract(tenant, start=datetime.date(2026, 1, 1), client=client)
                for hours in ("4", "5.25", str(n % 5 + 1)):
                    consume(contract, datetime.date(2026, 10, 12), hours)
        providers.append(tenant.provider.pk)
    return providers


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.config.settings")
    import django

    django.setup()
    print(json.dumps(build(int(sys.argv[1]))))
