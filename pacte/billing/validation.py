"""The check before a number is given: the draft's Factur-X XML against the XSD and both Schematron sets."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pacte.billing.invoice_data import InvoiceData


def invoice_validate(data: InvoiceData) -> None:
    """Raise ``InvoiceInvalid`` naming the failed rules when the XML of ``data`` has a fatal failure."""
    from pacte.billing import facturx
    from pacte.billing.services import InvoiceInvalid

    report = facturx.validate(facturx.cii_xml(data))
    if report.ok:
        return
    failures = [
        *report.xsd_errors,
        *(f"{item[0]}: {item[2]}" for item in (*report.en16931, *report.br_fr) if _fatal(item)),
    ]
    raise InvoiceInvalid(
        _("The invoice for %(buyer)s fails the e-invoicing rules (%(count)s): %(failures)s")
        % {"buyer": data.buyer.name, "count": report.fatal_count, "failures": "; ".join(failures[:5])}
    )


def _fatal(item: tuple[str, ...]) -> bool:
    return len(item) < 2 or item[1] in ("fatal", "", None)
