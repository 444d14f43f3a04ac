"""Every write to assets: checked (role), validated, atomic, audited."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pacte.assets import domain, importing, selectors
from pacte.assets.models import Asset
from pacte.assets.permissions import can_manage_assets
from pacte.audit.services import archive_once, audit_changes, audit_record, snapshot
from pacte.core.services import apply_fields, ensure_not_archived
from pacte.tenancy.models import Client, Contact, Membership, Site
from pacte.tenancy.permissions import require

ASSET_FIELDS = (
    "kind",
    "name",
    "make",
    "model",
    "serial",
    "hostname",
    "site",
    "user_contact",
    "user_name",
    "purchase_date",
    "warranty_end",
    "operating_system",
    "notes",
)
TEXT_FIELDS = ("name", "make", "model", "user_name", "operating_system", "notes")


def _serial_taken_error() -> ValidationError:
    return ValidationError({"serial": _("Another asset of this client already has this serial number.")})


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    if "serial" in cleaned:
        cleaned["serial"] = domain.normalise_serial(cleaned["serial"])
    if "hostname" in cleaned:
        cleaned["hostname"] = domain.normalise_hostname(cleaned["hostname"])
    for name in TEXT_FIELDS:
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip()
    return cleaned


def _check_relations(asset: Asset) -> None:
    """The site and the user contact must be the asset's client's (and its provider's)."""
    site: Site | None = asset.site
    if site is not None and (site.client_id != asset.client_id or site.provider_id != asset.provider_id):
        raise ValidationError({"site": _("This site belongs to another client.")})
    contact: Contact | None = asset.user_contact
    if contact is not None and (contact.client_id != asset.client_id or contact.provider_id != asset.provider_id):
        raise ValidationError({"user_contact": _("This contact belongs to another client.")})


def _check_serial(asset: Asset) -> None:
    if not asset.serial or asset.archived_at is not None:
        return
    duplicates = Asset.objects.filter(
        provider_id=asset.provider_id, client_id=asset.client_id, serial=asset.serial, archived_at__isnull=True
    ).exclude(pk=asset.pk)
    if duplicates.exists():
        raise _serial_taken_error()


def _save(asset: Asset) -> None:
    _check_relations(asset)
    _check_serial(asset)
    if len(asset.notes) > domain.NOTES_MAX:
        raise ValidationError({"notes": _("At most %(count)s characters.") % {"count": domain.NOTES_MAX}})
    asset.full_clean()
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError as error:  # a concurrent insert of the same serial
        raise _serial_taken_error() from error


@transaction.atomic
def asset_create(*, actor: Membership, client: Client, **fields: Any) -> Asset:
    require(can_manage_assets(actor))
    if client.provider_id != actor.provider_id:
        raise ValidationError({"client": _("Unknown client.")})
    ensure_not_archived(client)
    asset = Asset(provider_id=actor.provider_id, client=client)
    apply_fields(asset, _normalise(fields), ASSET_FIELDS)
    _save(asset)
    audit_record(actor=actor, action="asset.create", instance=asset, provider=actor.provider, after=snapshot(asset))
    return asset


@transaction.atomic
def asset_update(*, actor: Membership, asset: Asset, **fields: Any) -> Asset:
    require(can_manage_assets(actor))
    asset = Asset.objects.select_for_update().get(pk=asset.pk, provider_id=actor.provider_id)
    ensure_not_archived(asset)
    before = snapshot(asset)
    apply_fields(asset, _normalise(fields), ASSET_FIELDS)
    _save(asset)
    audit_changes(actor=actor, action="asset.update", instance=asset, provider=actor.provider, before=before)
    return asset


@transaction.atomic
def asset_archive(*, actor: Membership, asset: Asset) -> Asset:
    require(can_manage_assets(actor))
    asset = Asset.objects.select_for_update().get(pk=asset.pk, provider_id=actor.provider_id)
    archive_once(actor=actor, instance=asset, action="asset.archive")
    return asset


# Import -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _file_errors(preview: importing.Preview) -> ValidationError:
    messages = list(preview.file_errors)
    messages += [
        _("Line %(line)s, %(column)s: %(message)s")
        % {"line": error.line, "column": preview.header(error.field), "message": error.message}
        for error in preview.errors[:50]
    ]
    return ValidationError({"file": messages})


@transaction.atomic
def asset_import(*, actor: Membership, client: Client, content: bytes, filename: str = "") -> ImportResult:
    """Apply a CSV file to ``client``'s assets: every row, or none when any row has an error.

    The file is checked again here against the database as it is now (not as it was at the
    preview); the client's row is locked so that two imports into the same client run one after the other.
    One audit event records the import and its counts.
    """
    require(can_manage_assets(actor))
    client = Client.objects.select_for_update().get(pk=client.pk, provider_id=actor.provider_id)
    ensure_not_archived(client)
    preview = selectors.asset_import_preview(actor=actor, client=client, content=content)
    if preview.has_errors:
        raise _file_errors(preview)
    sites = {site.pk: site for site in Site.objects.filter(client_id=client.pk, provider_id=actor.provider_id)}
    contacts = {c.pk: c for c in Contact.objects.filter(client_id=client.pk, provider_id=actor.provider_id)}
    updates = {row.asset_id: row for row in preview.rows if row.action == importing.UPDATE}
    locked = Asset.objects.select_for_update().filter(
        pk__in=list(updates), client_id=client.pk, provider_id=actor.provider_id, archived_at__isnull=True
    )
    to_update = {asset.pk: asset for asset in locked}
    new_assets: list[Asset] = []
    try:
        for row in preview.rows:
            if row.action == importing.CREATE:
                asset = Asset(provider_id=actor.provider_id, client=client)
                _apply_row(asset, row, sites, contacts)
                new_assets.append(asset)
            elif row.action == importing.UPDATE:
                asset = to_update[row.asset_id or 0]
                _apply_row(asset, row, sites, contacts)
                asset.save()
        with transaction.atomic():
            Asset.objects.bulk_create(new_assets, batch_size=500)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    except (IntegrityError, KeyError) as error:  # an asset changed or appeared since the check: nothing is kept
        raise ValidationError({"file": _("The client's assets changed during the import: try again.")}) from error
    result = ImportResult(created=len(new_assets), updated=len(updates), unchanged=preview.count(importing.UNCHANGED))
    audit_record(
        actor=actor,
        action="asset.import",
        instance=client,
        provider=actor.provider,
        after={
            "filename": filename[:200],
            "sha256": hashlib.sha256(content).hexdigest(),
            "rows": len(preview.rows),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    return result


def _apply_row(asset: Asset, row: importing.PreviewRow, sites: dict[int, Site], contacts: dict[int, Contact]) -> None:
    data = dict(row.data)
    if "site_id" in data:
        asset.site = sites[data.pop("site_id")]
    if "user_contact_id" in data:
        contact_id = data.pop("user_contact_id")
        asset.user_contact = contacts[contact_id] if contact_id is not None else None
    for name, value in data.items():
        setattr(asset, name, value)
    try:
        # The related rows were read from the client's just above: no query per row to check they exist.
        asset.full_clean(exclude=["provider", "client", "site", "user_contact"], validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(
            [_("Line %(line)s: %(message)s") % {"line": row.line, "message": message} for message in error.messages]
        ) from error
