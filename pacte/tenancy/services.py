"""Every write to tenancy data: validated, atomic, audited."""

from __future__ import annotations

import io
import secrets
from typing import Any

import filetype
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from pacte.accounts.models import User
from pacte.audit.services import archive_once, audit_changes, audit_record, snapshot
from pacte.core.services import apply_fields, ensure_not_archived
from pacte.core.text import compact_identifier
from pacte.tenancy import domain as tenancy_domain
from pacte.tenancy.models import Client, Contact, Membership, Provider, Role, Site
from pacte.tenancy.permissions import (
    assignable_roles,
    can_edit_provider_identity,
    can_manage_client_records,
    can_manage_clients,
    can_manage_memberships,
    require,
)

CLIENT_FIELDS = (
    "name",
    "siren",
    "siret",
    "vat_number",
    "is_professional",
    "address",
    "postal_code",
    "city",
    "country",
    "time_zone",
    "holiday_subdivision",
    "notes",
)
SITE_FIELDS = ("name", "address", "postal_code", "city", "country", "time_zone", "holiday_subdivision")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "job_title", "site", "billing_contact")
IDENTIFIER_FIELDS = ("siren", "siret", "vat_number")


def _normalise_identifiers(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    for name in IDENTIFIER_FIELDS:
        if name in cleaned:
            cleaned[name] = compact_identifier(cleaned[name])
    return cleaned


def _check_client_unique_siren(client: Client) -> None:
    if not client.siren:
        return
    duplicates = Client.objects.filter(provider_id=client.provider_id, siren=client.siren).exclude(pk=client.pk)
    if duplicates.exists():
        raise ValidationError({"siren": _("A client with this SIREN already exists.")})


def _save_client(client: Client) -> None:
    _check_client_unique_siren(client)
    client.full_clean()
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as error:  # a concurrent insert of the same SIREN
        raise ValidationError({"siren": _("A client with this SIREN already exists.")}) from error


# Providers ---------------------------------------------------------------------------------------


@transaction.atomic
def provider_create(*, name: str, **fields: Any) -> Provider:
    """Create a tenant (operators only: CLI and admin; no actor)."""
    provider = Provider(name=name)
    apply_fields(provider, _normalise_identifiers(fields), [f.name for f in Provider._meta.concrete_fields])
    provider.full_clean()
    provider.save()
    audit_record(actor=None, action="provider.create", instance=provider, provider=provider, after=snapshot(provider))
    return provider


# Clients -----------------------------------------------------------------------------------------


@transaction.atomic
def client_create(*, actor: Membership, **fields: Any) -> Client:
    require(can_manage_clients(actor))
    client = Client(provider_id=actor.provider_id)
    apply_fields(client, _normalise_identifiers(fields), CLIENT_FIELDS)
    _save_client(client)
    audit_record(actor=actor, action="client.create", instance=client, provider=actor.provider, after=snapshot(client))
    return client


@transaction.atomic
def client_update(*, actor: Membership, client: Client, **fields: Any) -> Client:
    require(can_manage_clients(actor))
    client = Client.objects.select_for_update().get(pk=client.pk, provider_id=actor.provider_id)
    ensure_not_archived(client)
    before = snapshot(client)
    apply_fields(client, _normalise_identifiers(fields), CLIENT_FIELDS)
    _save_client(client)
    audit_changes(actor=actor, action="client.update", instance=client, provider=actor.provider, before=before)
    return client


@transaction.atomic
def client_archive(*, actor: Membership, client: Client) -> Client:
    require(can_manage_clients(actor))
    client = Client.objects.select_for_update().get(pk=client.pk, provider_id=actor.provider_id)
    archive_once(actor=actor, instance=client, action="client.archive")
    return client


# Sites -------------------------------------------------------------------------------------------


def _check_site_name(site: Site) -> None:
    if Site.objects.filter(client_id=site.client_id, name=site.name).exclude(pk=site.pk).exists():
        raise ValidationError({"name": _("This client already has a site with this name.")})


@transaction.atomic
def site_create(*, actor: Membership, client: Client, **fields: Any) -> Site:
    require(can_manage_client_records(actor, client))
    ensure_not_archived(client)
    site = Site(provider_id=actor.provider_id, client=client)
    apply_fields(site, fields, SITE_FIELDS)
    _check_site_name(site)
    site.full_clean()
    site.save()
    audit_record(actor=actor, action="site.create", instance=site, provider=actor.provider, after=snapshot(site))
    return site


@transaction.atomic
def site_update(*, actor: Membership, site: Site, **fields: Any) -> Site:
    require(can_manage_client_records(actor, site.client))
    site = Site.objects.select_for_update().get(pk=site.pk, provider_id=actor.provider_id)
    ensure_not_archived(site)
    before = snapshot(site)
    apply_fields(site, fields, SITE_FIELDS)
    _check_site_name(site)
    site.full_clean()
    site.save()
    audit_changes(actor=actor, action="site.update", instance=site, provider=actor.provider, before=before)
    return site


@transaction.atomic
def site_archive(*, actor: Membership, site: Site) -> Site:
    require(can_manage_client_records(actor, site.client))
    archive_once(actor=actor, instance=site, action="site.archive")
    return site


# Contacts ----------------------------------------------------------------------------------------


def _check_contact_site(contact: Contact) -> None:
    site = contact.site
    if site is not None and (site.client_id != contact.client_id or site.provider_id != contact.provider_id):
        raise ValidationError({"site": _("This site belongs to another client.")})


@transaction.atomic
def contact_create(*, actor: Membership, client: Client, **fields: Any) -> Contact:
    require(can_manage_client_records(actor, client))
    ensure_not_archived(client)
    contact = Contact(provider_id=actor.provider_id, client=client)
    apply_fields(contact, fields, CONTACT_FIELDS)
    _check_contact_site(contact)
    contact.full_clean()
    contact.save()
    audit_record(
        actor=actor, action="contact.create", instance=contact, provider=actor.provider, after=snapshot(contact)
    )
    return contact


@transaction.atomic
def contact_update(*, actor: Membership, contact: Contact, **fields: Any) -> Contact:
    require(can_manage_client_records(actor, contact.client))
    contact = Contact.objects.select_for_update().get(pk=contact.pk, provider_id=actor.provider_id)
    ensure_not_archived(contact)
    before = snapshot(contact)
    apply_fields(contact, fields, CONTACT_FIELDS)
    _check_contact_site(contact)
    contact.full_clean()
    contact.save()
    audit_changes(actor=actor, action="contact.update", instance=contact, provider=actor.provider, before=before)
    return contact


@transaction.atomic
def contact_archive(*, actor: Membership, contact: Contact) -> Contact:
    require(can_manage_client_records(actor, contact.client))
    archive_once(actor=actor, instance=contact, action="contact.archive")
    return contact


# Memberships -------------------------------------------------------------------------------------


def _check_role(actor: Membership, role: str, client: Client | None) -> None:
    if role not in assignable_roles(actor):
        raise ValidationError({"role": _("You may not give this role.")})
    if actor.role == Role.CLIENT_MANAGER and (client is None or client.pk != actor.client_id):
        raise ValidationError({"client": _("You may only add users to your own company.")})
    if client is not None and client.provider_id != actor.provider_id:
        raise ValidationError({"client": _("Unknown client.")})


def _user_for_email(email: str, full_name: str) -> User:
    email = email.strip().lower()
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(email=email, full_name=full_name)
        user.set_unusable_password()
        user.full_clean()
        user.save()
    assert isinstance(user, User)
    return user


@transaction.atomic
def membership_create(
    *, actor: Membership, email: str, role: str, client: Client | None = None, full_name: str = ""
) -> Membership:
    """Give a person (found or created by e-mail) a role; new users set their password by e-mail."""
    require(can_manage_memberships(actor))
    if actor.role == Role.CLIENT_MANAGER and client is None:
        client = actor.client
    _check_role(actor, role, client)
    if not email or "@" not in email:
        raise ValidationError({"email": _("Enter a valid e-mail address.")})
    user = _user_for_email(email, full_name)
    membership = Membership(user=user, provider_id=actor.provider_id, client=client, role=role)
    membership.full_clean(validate_constraints=False)
    existing = Membership.objects.filter(user=user, provider_id=actor.provider_id, client=client)
    if existing.exists():
        raise ValidationError({"email": _("This person already has a role here.")})
    membership.save()
    audit_record(
        actor=actor,
        action="membership.create",
        instance=membership,
        provider=actor.provider,
        after=snapshot(membership),
    )
    return membership


@transaction.atomic
def membership_update(*, actor: Membership, membership: Membership, role: str) -> Membership:
    require(can_manage_memberships(actor))
    if membership.pk == actor.pk:
        raise ValidationError({"role": _("You cannot change your own role.")})
    _check_role(actor, role, membership.client)
    from pacte.tenancy.models import CLIENT_ROLES, PROVIDER_ROLES

    same_side = (role in CLIENT_ROLES) == (membership.role in CLIENT_ROLES) or (
        role in PROVIDER_ROLES and membership.role in PROVIDER_ROLES
    )
    if not same_side:
        raise ValidationError({"role": _("A provider role cannot become a client role; create a new membership.")})
    before = snapshot(membership)
    membership.role = role
    membership.full_clean(validate_constraints=False)
    membership.save()
    audit_changes(actor=actor, action="membership.update", instance=membership, provider=actor.provider, before=before)
    return membership


@transaction.atomic
def membership_archive(*, actor: Membership, membership: Membership) -> Membership:
    """Deactivate a membership (the person keeps other roles); its API tokens stop working."""
    require(can_manage_memberships(actor))
    if membership.pk == actor.pk:
        raise ValidationError({"detail": _("You cannot deactivate your own access.")})
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active", "updated_at"])
        membership.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(
            actor=actor,
            action="membership.archive",
            instance=membership,
            provider=actor.provider,
            after={"is_active": False},
        )
    return membership


def membership_bootstrap(*, user: User, provider: Provider, role: str, client: Client | None = None) -> Membership:
    """Operator path (CLI, demo): give a role without an acting membership."""
    membership = Membership(user=user, provider=provider, client=client, role=role)
    membership.full_clean()
    membership.save()
    audit_record(
        actor=None, action="membership.create", instance=membership, provider=provider, after=snapshot(membership)
    )
    return membership


def random_password() -> str:
    return secrets.token_urlsafe(18)


# The provider's legal identity (its managers) ----------------------------------------------------

PROVIDER_IDENTITY_FIELDS = tenancy_domain.PROVIDER_IDENTITY_FIELDS


def _normalise_provider_fields(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = _normalise_identifiers(data)
    for name in ("iban", "bic"):
        if name in cleaned:
            cleaned[name] = tenancy_domain.iban_compact(cleaned[name] or "")
    for name in ("einvoicing_address", "invoice_prefix", "credit_note_prefix"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    return cleaned


def logo_extension(content: bytes) -> str:
    """The file extension of an accepted logo (PNG or JPEG, by its bytes, at most 1 MB); ValidationError else."""
    if len(content) > tenancy_domain.LOGO_MAX_BYTES:
        raise ValidationError({"logo": _("The logo is over 1 MB: export it smaller.")})
    kind = filetype.guess(content)
    extension = tenancy_domain.LOGO_TYPES.get(kind.mime) if kind is not None else None
    if extension is None:
        raise ValidationError({"logo": _("The logo must be a PNG or JPEG image.")})
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except Exception as error:  # Pillow raises many kinds for a damaged file
        raise ValidationError({"logo": _("This image is damaged: it cannot be read.")}) from error
    return extension


def _check_prefixes_free(provider: Provider) -> None:
    """A prefix may not be one the other kind's series already carry (their numbers would mix)."""
    from pacte.billing.models import InvoiceKind, Series

    errors: dict[str, str] = {}
    checks = (
        (
            "invoice_prefix",
            InvoiceKind.CREDIT_NOTE,
            _("%(prefix)s already numbers your credit notes (series %(series)s): choose another one."),
        ),
        (
            "credit_note_prefix",
            InvoiceKind.INVOICE,
            _("%(prefix)s already numbers your invoices (series %(series)s): choose another one."),
        ),
    )
    for field, other, message in checks:
        prefix = getattr(provider, field)
        taken = Series.objects.filter(provider_id=provider.pk, kind=other, prefix__iexact=prefix).order_by("-year")
        series = taken.first()
        if series is not None:
            errors[field] = message % {"prefix": prefix, "series": series}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def provider_update(
    *, actor: Membership, logo: bytes | None = None, clear_logo: bool = False, **fields: Any
) -> Provider:
    """Change the legal identity printed on the provider's documents and its numbering prefixes.

    A new prefix applies to the series started afterwards (``billing.services.series_for``); ``logo``
    is the new logo's bytes (checked by ``logo_extension``), ``clear_logo`` removes it. The file of the
    logo replaced or removed is deleted once the change is committed (``logo_file_discard``); issued
    invoices print their own frozen copy of it.
    """
    require(can_edit_provider_identity(actor))
    provider = Provider.objects.select_for_update().get(pk=actor.provider_id)
    ensure_not_archived(provider)
    before = snapshot(provider)
    apply_fields(provider, _normalise_provider_fields(fields), PROVIDER_IDENTITY_FIELDS)
    provider.full_clean(exclude=["logo"])
    _check_prefixes_free(provider)
    previous_logo = provider.logo.name or ""
    new_logo = ""
    if logo is not None:
        extension = logo_extension(logo)
        provider.logo.save(f"provider-{provider.pk}{extension}", ContentFile(logo), save=False)
        new_logo = provider.logo.name
    elif clear_logo:
        provider.logo = ""
    try:
        provider.save()
        audit_changes(actor=actor, action="provider.update", instance=provider, provider=provider, before=before)
    except BaseException:
        if new_logo:  # written a moment ago, named by no row
            provider.logo.storage.delete(new_logo)
        raise
    if previous_logo and previous_logo != (provider.logo.name or ""):
        transaction.on_commit(lambda: logo_file_discard(previous_logo))
    return provider


def logo_file_discard(name: str) -> bool:
    """Delete the logo file ``name`` unless a row still references it (a provider, an invoice's frozen logo:
    ``documents.files.file_referenced``). Runs after the commit that stopped using it; True if deleted."""
    import logging

    from pacte.documents.files import file_referenced

    if not name or file_referenced(name):
        return False
    storage = Provider._meta.get_field("logo").storage
    try:
        storage.delete(name)
    except OSError as error:  # the change is committed: a file left behind is for `pacte files prune`
        logging.getLogger(__name__).warning("The replaced logo %s could not be deleted: %s", name, error)
        return False
    return True
