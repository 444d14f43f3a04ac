"""The service catalogue and the contract templates (provider side; managers write, technicians read)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pacte.contracts import catalogue, display, selectors
from pacte.contracts.forms import CategoryForm, TemplateForm, optional_clause_choices
from pacte.contracts.models import ContractTemplate, ServiceCategory
from pacte.contracts.permissions import can_manage_contracts
from pacte.contracts.views import ContractPageMixin, add_errors, terms_choices
from pacte.core.views import ServiceFormView
from pacte.sla import selectors as sla_selectors
from pacte.tenancy.permissions import require

# Service categories ---------------------------------------------------------------------------------


class CategoryListView(ContractPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        archived = request.GET.get("archived") == "1"
        categories = selectors.category_list(actor=self.actor, include_archived=archived)
        return self.page(request, "contracts/category_list.html", {"categories": categories, "archived": archived})


class CategoryFormMixin(ContractPageMixin, ServiceFormView, View):
    form_class = CategoryForm
    template_name = "contracts/category_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        require(can_manage_contracts(self.actor))
        return {}

    def success_url(self, result: ServiceCategory) -> str:
        messages.success(self.request, _("The service category has been saved."))
        return reverse("contracts:category_list")


class CategoryCreateView(CategoryFormMixin):
    title = gettext_lazy("New service category")

    def perform(self, form: CategoryForm) -> ServiceCategory:
        return catalogue.category_create(actor=self.actor, **form.service_data())


class CategoryUpdateView(CategoryFormMixin):
    title = gettext_lazy("Edit service category")

    def get_instance(self) -> ServiceCategory:
        category = selectors.category_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_contracts(self.actor))
        return category

    def perform(self, form: CategoryForm) -> ServiceCategory:
        return catalogue.category_update(actor=self.actor, category=self.instance(), **form.service_data())


class CategoryArchiveView(ContractPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        category = selectors.category_get(actor=self.actor, pk=pk)
        catalogue.category_archive(actor=self.actor, category=category)
        messages.success(request, _("The service category has been archived."))
        return redirect("contracts:category_list")


# Contract templates -------------------------------------------------------------------------------------


class TemplateListView(ContractPageMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        archived = request.GET.get("archived") == "1"
        templates = selectors.template_list(actor=self.actor, include_archived=archived)
        return self.page(request, "contracts/template_list.html", {"templates": templates, "archived": archived})


class TemplateDetailView(ContractPageMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        template = selectors.template_get(actor=self.actor, pk=pk)
        terms = template.terms
        categories = dict(
            selectors.category_list(actor=self.actor, include_archived=True)
            .filter(code__in=terms.covered_categories)
            .values_list("code", "name")
        )
        levels: dict[int, str] = {}
        if terms.service_level:
            levels = dict(
                sla_selectors.service_level_list(actor=self.actor, include_archived=True)
                .filter(pk=terms.service_level)
                .values_list("pk", "name")
            )
        context = {
            "template": template,
            "sections": display.terms_sections(terms, categories=categories, service_levels=levels),
            "clauses": terms.clauses,
            "optional": set(template.optional_clauses),
            "optional_titles": [title for _key, title in optional_clause_choices(template)],
            "contracts_count": selectors.contract_list(actor=self.actor).filter(template=template).count(),
        }
        return self.page(request, "contracts/template_detail.html", context)


class TemplateFormMixin(ContractPageMixin, View):
    title: Any = ""

    def template(self) -> ContractTemplate | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _form(self, data: Any = None) -> TemplateForm:
        template = self.template()
        choices = terms_choices(self.actor, None, template.terms if template else None)
        return TemplateForm(data, template=template, **choices)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_form(request, self._form())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            try:
                result = self.perform(form)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("The contract template has been saved."))
                return redirect("contracts:template_detail", result.pk)
        return self.render_form(request, form, status=422)

    def perform(self, form: TemplateForm) -> ContractTemplate:  # pragma: no cover - abstract
        raise NotImplementedError

    def render_form(self, request: HttpRequest, form: TemplateForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "title": self.title, "template": self.template()}
        return self.page(request, "contracts/template_form.html", context, status=status)


class TemplateCreateView(TemplateFormMixin):
    title = gettext_lazy("New contract template")

    def template(self) -> ContractTemplate | None:
        require(can_manage_contracts(self.actor))
        return None

    def perform(self, form: TemplateForm) -> ContractTemplate:
        return catalogue.template_create(actor=self.actor, **form.service_data())


class TemplateUpdateView(TemplateFormMixin):
    title = gettext_lazy("Edit contract template")

    def template(self) -> ContractTemplate | None:
        if not hasattr(self, "_template"):
            self._template = selectors.template_get(actor=self.actor, pk=self.kwargs["pk"])
            require(can_manage_contracts(self.actor))
        return self._template

    def perform(self, form: TemplateForm) -> ContractTemplate:
        template = self.template()
        assert template is not None
        return catalogue.template_update(actor=self.actor, template=template, **form.service_data())


class TemplateArchiveView(ContractPageMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        template = selectors.template_get(actor=self.actor, pk=pk)
        catalogue.template_archive(actor=self.actor, template=template)
        messages.success(request, _("The contract template has been archived."))
        return redirect("contracts:template_list")
