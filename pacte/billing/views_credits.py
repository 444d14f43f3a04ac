"""The service credits pages: a month's proposals with their detail, approve / reject, compute a month.

Thin: one selector or one service per request. The provider's admins and managers only: a technician
gets 403, client roles 404, another provider's credit 404.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from pacte.billing import domain, service_credits
from pacte.billing.forms import MonthSelect, month_error, month_label, month_or_none, previous_month
from pacte.billing.models_credits import CreditStatus, ServiceCredit
from pacte.billing.permissions import can_bill
from pacte.core.errors import ConflictError
from pacte.core.views import ActorRequiredMixin
from pacte.tenancy.models import Client, Membership
from pacte.tenancy.permissions import require

TEMPLATES = "billing/credits/"
PAGE_SIZE = 100


def _month_clean(text: str) -> datetime.date:
    month = month_or_none(text)
    if month is None:
        raise month_error()
    return month


class CreditComputeForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month"), max_length=7, widget=MonthSelect)
    client = forms.ModelChoiceField(
        label=gettext_lazy("Client"),
        queryset=Client.objects.none(),
        required=False,
        empty_label=gettext_lazy("All clients"),
    )

    def __init__(self, *args: Any, actor: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            provider_id=actor.provider_id, archived_at__isnull=True
        ).order_by("name")
        self.initial.setdefault("month", previous_month())

    def clean_month(self) -> datetime.date:
        return _month_clean(str(self.cleaned_data["month"]).strip())


class CreditRejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


def credit_list(actor: Membership, month: datetime.date, status: str = "") -> QuerySet[ServiceCredit]:
    """The actor's provider's credits of a month (a selector: scoped, and read in a fixed number of queries)."""
    credits = ServiceCredit.objects.filter(provider_id=actor.provider_id, month=month).select_related(
        "contract", "client", "decided_by__user", "invoice_line__invoice"
    )
    if status in CreditStatus.values:
        credits = credits.filter(status=status)
    return credits.order_by("client__name", "contract__reference", "pk")


def credit_months(actor: Membership) -> list[tuple[datetime.date, int]]:
    """The months the actor's provider has credits for, newest first, each with its credits still to
    decide (one query)."""
    rows = (
        ServiceCredit.objects.filter(provider_id=actor.provider_id)
        .values("month")
        .annotate(proposed=Count("pk", filter=Q(status=CreditStatus.PROPOSED)))
        .order_by("-month")
        .values_list("month", "proposed")
    )
    return list(rows)


def _month_options(months: list[tuple[datetime.date, int]], shown: datetime.date) -> list[tuple[str, str]]:
    """The month filter's choices: the months with credits (« octobre 2026 — 2 à décider ») and the shown one."""
    counts = dict(months)
    counts.setdefault(shown, 0)
    options = []
    for month in sorted(counts, reverse=True):
        label = month_label(month)
        if counts[month]:
            label = ngettext("%(month)s — %(count)s to decide", "%(month)s — %(count)s to decide", counts[month]) % {
                "month": label,
                "count": counts[month],
            }
        options.append((month.strftime("%Y-%m"), label))
    return options


def credit_get(actor: Membership, pk: int) -> ServiceCredit:
    return get_object_or_404(ServiceCredit.objects.filter(provider_id=actor.provider_id), pk=pk)


def _ticket_links(credit: ServiceCredit) -> list[dict[str, Any]]:
    breaches = (credit.detail or {}).get("breaches", [])
    return [
        {**breach, "url": reverse("servicedesk:ticket_detail", args=[breach["ticket"]])}
        for breach in breaches
        if isinstance(breach, dict) and isinstance(breach.get("ticket"), int)
    ]


class CreditPage(ActorRequiredMixin, View):
    side = "provider"

    def check(self) -> None:
        require(can_bill(self.actor))

    def month(self, request: HttpRequest, months: list[tuple[datetime.date, int]]) -> datetime.date:
        """The month asked for; else the latest month with credits to decide; else the latest month with
        credits; else the previous month (never an empty month while some month has credits)."""
        asked = month_or_none(request.GET.get("month"))
        if asked is not None:
            return asked
        pending = next((month for month, proposed in months if proposed), None)
        latest = months[0][0] if months else None
        return pending or latest or domain.month_bounds(previous_month())[0]

    def render_list(
        self,
        request: HttpRequest,
        month: datetime.date | None = None,
        *,
        form: CreditComputeForm | None = None,
        reject_errors: dict[int, str] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        months = credit_months(self.actor)
        if month is None:
            month = self.month(request, months)
        wanted = request.GET.get("status", "")
        try:
            page = max(1, min(int(request.GET.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        rows = list(credit_list(self.actor, month, wanted)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        credits = [
            {"credit": credit, "tickets": _ticket_links(credit), "error": (reject_errors or {}).get(credit.pk)}
            for credit in rows[:PAGE_SIZE]
        ]
        context = {
            "tab": "credits",
            "month": month,
            "month_value": month.strftime("%Y-%m"),
            "month_options": _month_options(months, month),
            "status": wanted,
            "statuses": CreditStatus.choices,
            "rows": credits,
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "form": form or CreditComputeForm(actor=self.actor, initial=self._compute_initial(request)),
        }
        return render(request, TEMPLATES + "credit_list.html", context, status=status)

    @staticmethod
    def _compute_initial(request: HttpRequest) -> dict[str, str]:
        """The month named in the address (to compute it again), else the previous month (the one to compute)."""
        asked = month_or_none(request.GET.get("month"))
        return {"month": asked.strftime("%Y-%m") if asked else previous_month()}


def _list_url(month: datetime.date) -> str:
    return f"{reverse('billing:credit_list')}?month={month:%Y-%m}"


class CreditListView(CreditPage):
    """GET: a month's credits. POST: compute (or recompute) a month's proposals."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check()
        return self.render_list(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        self.check()
        form = CreditComputeForm(request.POST, actor=self.actor)
        if form.is_valid():
            first: datetime.date = form.cleaned_data["month"]
            try:
                found = service_credits.credits_propose(
                    self.actor.provider,
                    first,
                    service_credits.month_end(first),
                    client=form.cleaned_data["client"],
                )
            except domain.BillingError as error:
                form.add_error("month", str(error))
            else:
                proposed = sum(1 for credit in found if credit.status == CreditStatus.PROPOSED)
                messages.success(
                    request, _("Service credits computed: %(count)s proposed for the month.") % {"count": proposed}
                )
                return redirect(_list_url(first))
        return self.render_list(request, form=form, status=400)


class CreditApproveView(CreditPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        credit = credit_get(self.actor, pk)
        try:
            service_credits.credit_approve(self.actor, credit)
        except ConflictError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Service credit approved: the next billing run gives it back."))
        return redirect(_list_url(credit.month))


class CreditRejectView(CreditPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        credit = credit_get(self.actor, pk)
        form = CreditRejectForm(request.POST)
        if not form.is_valid():
            message = _("Say why the service credit is rejected (500 characters at most).")
            return self.render_list(request, credit.month, reject_errors={credit.pk: message}, status=400)
        try:
            service_credits.credit_reject(self.actor, credit, form.cleaned_data["reason"])
        except domain.BillingError as error:
            return self.render_list(request, credit.month, reject_errors={credit.pk: str(error)}, status=400)
        except ConflictError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Service credit rejected."))
        return redirect(_list_url(credit.month))


class CreditNoteForView(CreditPage):
    """An approved credit whose month is already invoiced: give it back now, as a credit note on that invoice."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.check()
        credit = credit_get(self.actor, pk)
        try:
            note = service_credits.credit_note_for(self.actor, credit)
        except (ConflictError, domain.BillingError) as error:
            messages.error(request, getattr(error, "message", str(error)))
            return redirect(_list_url(credit.month))
        messages.success(request, _("Credit note drafted: check it, then issue it."))
        return redirect("billing:invoice_detail", pk=note.pk)
