"""A client's equipment and software (assets): what a contract's scope names and tickets point at."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacte.assets import domain
from pacte.core.models import ArchivableModel
from pacte.tenancy.models import Client, Contact, Provider, Site


class AssetKind(models.TextChoices):
    WORKSTATION = "workstation", _("Workstation")
    LAPTOP = "laptop", _("Laptop")
    SERVER = "server", _("Server")
    PRINTER = "printer", _("Printer")
    NETWORK = "network", _("Network equipment")
    PHONE = "phone", _("Phone")
    MOBILE = "mobile", _("Mobile device")
    SOFTWARE = "software", _("Software")
    LICENCE = "licence", _("Licence")
    OTHER = "other", _("Other")


class Asset(ArchivableModel):
    """One piece of a client's equipment or software, found by id, serial number or host name.

    A serial number is unique among the client's active assets (stored in capitals); an archived
    asset keeps its serial without blocking a replacement that reuses it.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="assets", verbose_name=_("client"))
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="assets", verbose_name=_("site")
    )
    kind = models.CharField(_("type"), max_length=20, choices=AssetKind.choices, default=AssetKind.OTHER)
    name = models.CharField(
        _("name"), max_length=domain.NAME_MAX, help_text=_("How the client calls it, e.g. “PC accueil”.")
    )
    make = models.CharField(_("make"), max_length=domain.MAKE_MAX, blank=True)
    model = models.CharField(_("model"), max_length=domain.MODEL_MAX, blank=True)
    serial = models.CharField(_("serial number"), max_length=domain.SERIAL_MAX, blank=True)
    hostname = models.CharField(_("host name"), max_length=domain.HOSTNAME_MAX, blank=True)
    user_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("user (contact)"),
    )
    user_name = models.CharField(
        _("user"), max_length=domain.USER_NAME_MAX, blank=True, help_text=_("Who uses it, when not a contact.")
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_end = models.DateField(_("end of warranty"), null=True, blank=True)
    operating_system = models.CharField(_("operating system"), max_length=domain.OPERATING_SYSTEM_MAX, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=domain.NOTES_MAX)

    class Meta:
        ordering = ["client__name", "name", "id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "client", "serial"],
                condition=~Q(serial="") & Q(archived_at__isnull=True),
                name="assets_asset_serial_unique_per_client",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "client"], name="assets_provider_client_idx"),
            models.Index(fields=["provider", "serial"], name="assets_provider_serial_idx"),
            models.Index(fields=["provider", "hostname"], name="assets_provider_hostname_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assets:asset_detail", args=[self.pk])

    @property
    def warranty_state(self) -> domain.WarrantyState:
        return domain.warranty_state(self.warranty_end, timezone.localdate())

    @property
    def make_model(self) -> str:
        return " ".join(part for part in (self.make, self.model) if part)

    @property
    def user_display(self) -> str:
        if self.user_contact is not None:
            return str(self.user_contact)
        return self.user_name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.site is not None and self.client_id is not None and self.site.client_id != self.client_id:
            errors["site"] = str(_("This site belongs to another client."))
        if (
            self.user_contact is not None
            and self.client_id is not None
            and self.user_contact.client_id != self.client_id
        ):
            errors["user_contact"] = str(_("This contact belongs to another client."))
        if self.purchase_date and self.warranty_end and self.warranty_end < self.purchase_date:
            errors["warranty_end"] = str(_("The warranty cannot end before the purchase date."))
        if errors:
            raise ValidationError(errors)
