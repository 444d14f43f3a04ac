"""Providers (the tenants), their clients, sites, contacts and the memberships that give access."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pacte.core.models import ArchivableModel, TimeStampedModel
from pacte.tenancy import domain

SUBDIVISION_CHOICES = list(domain.HOLIDAY_SUBDIVISIONS)


def validate_time_zone(value: str) -> None:
    if value and not domain.time_zone_is_valid(value):
        raise ValidationError(_("“%(value)s” is not a known time zone."), code="time_zone", params={"value": value})


def validate_siren(value: str) -> None:
    if value and not domain.siren_is_valid(value):
        raise ValidationError(_("Enter a valid SIREN: 9 digits with a valid check digit."), code="siren")


def validate_siret(value: str) -> None:
    if value and not domain.siret_is_valid(value):
        raise ValidationError(_("Enter a valid SIRET: 14 digits with a valid check digit."), code="siret")


def validate_vat(value: str) -> None:
    if value and not domain.vat_is_valid(value):
        raise ValidationError(_("Enter a valid French VAT number (FR + 2-character key + SIREN)."), code="vat")


def validate_iban(value: str) -> None:
    if value and not domain.iban_is_valid(value):
        raise ValidationError(
            _("Enter a valid IBAN (country code, check digits and account number, e.g. FR76 3000 6000 0112 …)."),
            code="iban",
        )


def validate_bic(value: str) -> None:
    if value and not domain.bic_is_valid(value):
        raise ValidationError(_("Enter a valid BIC: 8 or 11 letters and digits (e.g. AGRIFRPP)."), code="bic")


def validate_number_prefix(value: str) -> None:
    if not domain.number_prefix_is_valid(value):
        raise ValidationError(
            _(
                "Use 1 to %(max)s letters, digits or the signs + - _ / (no space or dot): "
                "numbers read <prefix>-<year>-000001."
            ),
            code="number_prefix",
            params={"max": domain.NUMBER_PREFIX_MAX_LENGTH},
        )


def validate_einvoicing_address(value: str) -> None:
    if value and not domain.einvoicing_address_is_well_formed(value):
        raise ValidationError(
            _("Only letters, digits and the signs - _ . are allowed in an e-invoicing address."),
            code="einvoicing_address",
        )


#: The sentence the Factur-X AAB note prints (``billing.facturx``) and the late-payment wording opens with.
NO_EARLY_PAYMENT_DISCOUNT_TEXT = "Pas d\u2019escompte pour paiement anticipé."
#: ``Provider.late_penalty_text``'s default, in French typography (’, no-break spaces before « : » and units).
DEFAULT_LATE_PENALTY_TEXT = (
    f"{NO_EARLY_PAYMENT_DISCOUNT_TEXT} Pénalités de retard\u00a0: taux BCE majoré de 10\u00a0points. "
    "Indemnité forfaitaire pour frais de recouvrement\u00a0: 40\u00a0€."
)

PREFIX_HELP = _(
    "Numbers read <prefix>-<year>-000001. A change applies to the series started afterwards (a new year, "
    "or the first number of its kind): a series already started this year keeps its prefix."
)


class LegalIdentityMixin(models.Model):
    """Identifiers and address shared by providers and clients, checked together in ``clean``."""

    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    vat_number = models.CharField(_("VAT number"), max_length=13, blank=True, validators=[validate_vat])
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone])
    holiday_subdivision = models.CharField(
        _("public holidays"), max_length=4, blank=True, default="", choices=SUBDIVISION_CHOICES
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if (
            self.siret
            and self.siren
            and domain.siret_is_valid(self.siret)
            and not domain.siret_matches_siren(self.siret, self.siren)
        ):
            errors["siret"] = str(_("The SIRET must start with the SIREN."))
        if (
            self.vat_number
            and self.siren
            and domain.vat_is_valid(self.vat_number)
            and not domain.vat_matches_siren(self.vat_number, self.siren)
        ):
            message = _("This VAT number does not match the SIREN (expected %(vat)s).")
            errors["vat_number"] = str(message) % {"vat": domain.vat_number_for(self.siren)}
        if errors:
            raise ValidationError(errors)


class Provider(LegalIdentityMixin, ArchivableModel):
    """The tenant: an IT service provider, with the legal identity printed on its documents."""

    name = models.CharField(_("name"), max_length=150)
    legal_name = models.CharField(_("legal name"), max_length=150, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=50, blank=True)
    share_capital = models.DecimalField(_("share capital"), max_digits=14, decimal_places=2, null=True, blank=True)
    rcs_city = models.CharField(_("RCS city"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    einvoicing_address = models.CharField(
        _("e-invoicing address"),
        max_length=100,
        blank=True,
        validators=[validate_einvoicing_address],
        help_text=_("Scheme 0225: your SIREN, or your SIREN, “_” and a suffix. Leave empty to use the SIREN."),
    )
    logo = models.FileField(_("logo"), upload_to="logos/", blank=True)
    late_penalty_text = models.TextField(
        _("late-payment wording"),
        blank=True,
        default=DEFAULT_LATE_PENALTY_TEXT,
    )

    invoice_prefix = models.CharField(
        _("invoice number prefix"),
        max_length=domain.NUMBER_PREFIX_MAX_LENGTH,
        default=domain.DEFAULT_INVOICE_PREFIX,
        validators=[validate_number_prefix],
        help_text=PREFIX_HELP,
    )
    credit_note_prefix = models.CharField(
        _("credit note number prefix"),
        max_length=domain.NUMBER_PREFIX_MAX_LENGTH,
        default=domain.DEFAULT_CREDIT_NOTE_PREFIX,
        validators=[validate_number_prefix],
        help_text=PREFIX_HELP,
    )
    invoice_email_on_issue = models.BooleanField(
        _("send invoices by e-mail when they are issued"),
        default=True,
        help_text=_(
            "Each issued invoice or credit note is e-mailed with its PDF (Factur-X) to the client's billing "
            "contacts, else its managers, else its contacts with an e-mail address."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        try:
            super().clean()
        except ValidationError as error:
            errors.update({key: list(value) for key, value in error.message_dict.items()})
        if (
            self.einvoicing_address
            and domain.einvoicing_address_is_well_formed(self.einvoicing_address)
            and not domain.einvoicing_address_matches_siren(self.einvoicing_address, self.siren)
        ):
            if self.siren:
                message = _(
                    "With scheme 0225 the address is your SIREN (%(siren)s), or it followed by “_” and a suffix."
                )
                errors.setdefault("einvoicing_address", []).append(
                    ValidationError(message, code="einvoicing_siren", params={"siren": self.siren})
                )
            else:
                message = _("Enter the SIREN first: the e-invoicing address starts with it.")
                errors.setdefault("einvoicing_address", []).append(ValidationError(message, code="einvoicing_siren"))
        if (
            self.invoice_prefix
            and self.credit_note_prefix
            and not domain.number_prefixes_differ(self.invoice_prefix, self.credit_note_prefix)
        ):
            message = _("Credit notes need a prefix of their own, different from the invoices' one.")
            errors.setdefault("credit_note_prefix", []).append(ValidationError(message, code="same_prefix"))
        if errors:
            raise ValidationError(errors)

    def number_prefix(self, kind: str) -> str:
        """The prefix of a new series of ``kind`` (``invoice`` or ``credit_note``)."""
        return self.credit_note_prefix if kind == "credit_note" else self.invoice_prefix


class Client(LegalIdentityMixin, ArchivableModel):
    """A company (or a non-professional client) served by the provider."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(_("legal name"), max_length=150)
    is_professional = models.BooleanField(
        _("professional client"),
        default=True,
        help_text=_("Untick for a consumer or an association acting outside a trade (notice rules differ)."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "siren"], condition=~Q(siren=""), name="tenancy_client_siren_unique_per_provider"
            )
        ]
        indexes = [models.Index(fields=["provider", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tenancy:client_detail", args=[self.pk])


class Site(ArchivableModel):
    """A client's address where work happens; time zone and holidays default to the client's."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=150)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Leave empty to use the client's."),
    )
    holiday_subdivision = models.CharField(
        _("public holidays"),
        max_length=4,
        blank=True,
        null=True,
        choices=SUBDIVISION_CHOICES,
        help_text=_("Leave empty to use the client's."),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="tenancy_site_name_unique_per_client"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.client.time_zone

    @property
    def effective_holiday_subdivision(self) -> str:
        if self.holiday_subdivision is None:
            return self.client.holiday_subdivision
        return self.holiday_subdivision


class Contact(ArchivableModel):
    """A person at the client: requester of tickets, signer of sheets, recipient of reports.

    A *billing contact* receives the client's invoices, credit notes and payment reminders
    (``billing.reminders.billing_recipients``).
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contacts")
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    billing_contact = models.BooleanField(
        _("billing contact"),
        default=False,
        help_text=_("Receives the invoices, credit notes and payment reminders by e-mail."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        super().clean()
        if self.site is not None and self.client_id is not None and self.site.client_id != self.client_id:
            raise ValidationError({"site": _("This site belongs to another client.")})


class Role(models.TextChoices):
    PROVIDER_ADMIN = "provider_admin", _("Provider administrator")
    PROVIDER_MANAGER = "provider_manager", _("Provider manager")
    TECHNICIAN = "technician", _("Technician")
    CLIENT_MANAGER = "client_manager", _("Client manager")
    CLIENT_USER = "client_user", _("Client user")


PROVIDER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.PROVIDER_MANAGER, Role.TECHNICIAN})
CLIENT_ROLES = frozenset({Role.CLIENT_MANAGER, Role.CLIENT_USER})


class Membership(TimeStampedModel):
    """A user's role in a provider (and, for client roles, one client). This is the *actor*."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["provider__name", "client__name", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=["provider_admin", "provider_manager", "technician"], client__isnull=True)
                    | Q(role__in=["client_manager", "client_user"], client__isnull=False)
                ),
                name="tenancy_membership_role_matches_client",
            ),
            models.UniqueConstraint(
                fields=["user", "provider"],
                condition=Q(client__isnull=True),
                name="tenancy_membership_unique_provider_side",
            ),
            models.UniqueConstraint(
                fields=["user", "provider", "client"],
                condition=Q(client__isnull=False),
                name="tenancy_membership_unique_client_side",
            ),
        ]

    def __str__(self) -> str:
        scope = self.client.name if self.client is not None else self.provider.name
        return f"{self.user} · {self.get_role_display()} · {scope}"

    @property
    def is_provider_side(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_client_side(self) -> bool:
        return self.role in CLIENT_ROLES

    def clean(self) -> None:
        super().clean()
        if self.role in CLIENT_ROLES and self.client_id is None:
            raise ValidationError({"client": _("A client role needs a client.")})
        if self.role in PROVIDER_ROLES and self.client_id is not None:
            raise ValidationError({"client": _("A provider role has no client.")})
        if self.client is not None and self.client.provider_id != self.provider_id:
            raise ValidationError({"client": _("This client belongs to another provider.")})
