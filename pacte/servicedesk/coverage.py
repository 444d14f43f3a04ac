"""Which contract covers a ticket, and what billable work outside it then needs.

``contract_covering`` looks at every contract of the client in force on the ticket's day (its signed
version in force, ``contracts.selectors.contracts_in_force``) and keeps those whose terms cover the
ticket (TERMS.md):

- **site**: the contract lists the ticket's site, or lists no site (the whole client);
- **assets**: every asset of the ticket is listed, or the contract lists no asset (all assets of
  its sites); a listed asset also brings its own site into scope;
- **category**: the contract lists the ticket's category, or lists none (every category).

**Overlaps** (deterministic, written in ``docs/servicedesk.md``): the most specific contract wins —
one listing the ticket's asset, then one listing its site, then a client-wide one; then the one with
a service level over one without; then the most recent start date; then the lowest id.

No contract covers it: when contracts are in force the ticket is **out of scope** and billable work
follows the best of them's ``out_of_scope_rule`` (a quote the client manager approves, time and
materials up to N hours without asking, or refused); with no contract in force it is **no contract**
and billable work needs a quote.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from pacte.contracts.models import Contract, ContractVersion
from pacte.contracts.selectors import contracts_in_force
from pacte.contracts.terms import ContractTerms
from pacte.servicedesk.models import Billing, Coverage
from pacte.tenancy.models import Client, Membership


@dataclass(frozen=True)
class Covering:
    coverage: Coverage
    billing: Billing
    contract: Contract | None
    version: ContractVersion | None
    terms: ContractTerms | None
    note: str

    @property
    def service_level_id(self) -> int | None:
        return self.terms.service_level if self.terms is not None and self.coverage == Coverage.COVERED else None


def _specificity(terms: ContractTerms, site_id: int | None, asset_ids: Sequence[int]) -> int | None:
    """How specifically ``terms`` cover the ticket (3 asset, 2 site, 1 client-wide), or None when they don't."""
    listed_assets = set(terms.assets)
    if asset_ids and listed_assets and not set(asset_ids) <= listed_assets:
        return None
    if terms.sites and site_id is not None and site_id not in terms.sites and not (asset_ids and listed_assets):
        return None
    if asset_ids and listed_assets:
        return 3
    if terms.sites and site_id is not None:
        return 2
    return 1


def _rank(contract: Contract, terms: ContractTerms, specificity: int) -> tuple[int, int, int, int]:
    start = contract.start_date.toordinal()
    return (-specificity, 0 if terms.service_level is not None else 1, -start, contract.pk)


def contract_covering(
    *,
    actor: Membership | None,
    client: Client,
    site_id: int | None,
    asset_ids: Sequence[int],
    category_code: str | None,
    at: datetime.date,
) -> Covering:
    """The contract that covers a ticket of ``client`` on ``at`` (the rule in the module docstring).

    ``actor`` is None for the system (an e-mail from a contact): the caller has scoped ``client`` to
    the receiving provider. An actor of another provider gets a ``PermissionDenied``.
    """
    if actor is not None and actor.provider_id != client.provider_id:
        raise PermissionDenied
    in_force = contracts_in_force(provider_id=client.provider_id, client_id=client.pk, at=at)
    if not in_force:
        return Covering(Coverage.NO_CONTRACT, Billing.QUOTE_NEEDED, None, None, None, "")
    candidates = []
    fallbacks = []
    for contract, version in in_force:
        terms = version.terms
        fallbacks.append((_rank(contract, terms, 0), contract, version, terms))
        specificity = _specificity(terms, site_id, asset_ids)
        if specificity is None:
            continue
        if category_code and terms.covered_categories and category_code not in terms.covered_categories:
            continue
        candidates.append((_rank(contract, terms, specificity), contract, version, terms))
    if candidates:
        _key, contract, version, terms = min(candidates, key=lambda row: row[0])
        return Covering(Coverage.COVERED, Billing.INCLUDED, contract, version, terms, "")
    _key, contract, version, terms = min(fallbacks, key=lambda row: row[0])
    rule = terms.out_of_scope_rule
    if rule.kind == "refuse":
        billing, note = Billing.REFUSED, ""
    elif rule.kind == "time_and_materials_up_to":
        billing, note = Billing.STANDING_RULE, f"{rule.hours}"
    else:
        billing, note = Billing.QUOTE_NEEDED, ""
    return Covering(Coverage.OUT_OF_SCOPE, billing, contract, version, terms, note)
