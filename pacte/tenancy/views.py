"""Back-office pages for clients, sites, contacts, users and the provider's legal identity."""

from __future__ import annotations

import hashlib
from typing import Any

import filetype
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pacte.core.views import ActorRequiredMixin, ServiceFormView
from pacte.tenancy import domain, selectors, services
from pacte.tenancy.forms import (
    ClientForm,
    ContactForm,
    MembershipCreateForm,
    MembershipRoleForm,
    ProviderIdentityForm,
    SiteForm,
)
from pacte.tenancy.models import Client, Contact, Membership, Provider, Site
from pacte.tenancy.permissions import (
    assignable_roles,
    can_edit_provider_identity,
    can_manage_client_records,
    can_manage_clients,
    can_manage_memberships,
    can_view_memberships,
    require,
)

PAGE_SIZE = 25


class ClientListView(ActorRequiredMixin, View):
    side = "provider"

    def get(self, request: HttpRequest) -> HttpResponse:
        search = request.GET.get("q", "")[:100]
        archived = request.GET.get("archived") == "1"
        queryset = selectors.client_list(actor=self.actor, search=search, include_archived=archived)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"page": page, "search": search, "archived": archived, "can_manage": can_manage_clients(self.actor)}
        template = "tenancy/partials/client_rows.html" if request.htmx else "tenancy/client_list.html"  # type: ignore[attr-defined]
        return render(request, template, context)


class ClientDetailView(ActorRequiredMixin, View):
    side = "provider"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        client = selectors.client_get(actor=self.actor, pk=pk)
        context = {
            "client": client,
            "sites": selectors.site_list(actor=self.actor, client_id=client.pk),
            "contacts": selectors.contact_list(actor=self.actor, client_id=client.pk),
            "can_manage": can_manage_clients(self.actor),
            "can_manage_records": can_manage_client_records(self.actor, client),
        }
        return render(request, "tenancy/client_detail.html", context)


class ClientCreateView(ServiceFormView, View):
    side = "provider"
    form_class = ClientForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("New client")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_provider_side:
            require(can_manage_clients(actor))
        return super().dispatch(request, *args, **kwargs)

    def perform(self, form: ClientForm) -> Client:
        return services.client_create(actor=self.actor, **form.cleaned_data)

    def success_url(self, result: Client) -> str:
        messages.success(self.request, _("The client has been created."))
        return reverse("tenancy:client_detail", args=[result.pk])


class ClientUpdateView(ServiceFormView, View):
    side = "provider"
    form_class = ClientForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("Edit client")

    def get_instance(self) -> Client:
        client = selectors.client_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_clients(self.actor))
        return client

    def perform(self, form: ClientForm) -> Client:
        return services.client_update(actor=self.actor, client=form.instance, **form.cleaned_data)

    def success_url(self, result: Client) -> str:
        messages.success(self.request, _("The client has been saved."))
        return reverse("tenancy:client_detail", args=[result.pk])


class ClientArchiveView(ActorRequiredMixin, View):
    side = "provider"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        client = selectors.client_get(actor=self.actor, pk=pk)
        services.client_archive(actor=self.actor, client=client)
        messages.success(request, _("The client has been archived."))
        return redirect("tenancy:client_list")


# Sites and contacts (provider back office and client portal share these views) -----------------


class ClientRecordMixin:
    """Views under a client: the client comes from the URL (provider side) or the actor (portal)."""

    actor: Membership
    kwargs: dict[str, Any]

    def get_client(self) -> Client:
        client_id = self.kwargs.get("client_pk") or self.actor.client_id
        return selectors.client_get(actor=self.actor, pk=int(client_id or 0))

    def record_url(self, client: Client) -> str:
        if self.actor.is_client_side:
            return reverse("portal:company")
        return reverse("tenancy:client_detail", args=[client.pk])


class SiteCreateView(ClientRecordMixin, ServiceFormView, View):
    form_class = SiteForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("New site")

    def perform(self, form: SiteForm) -> Site:
        client = self.get_client()
        return services.site_create(actor=self.actor, client=client, **form.cleaned_data)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require(can_manage_client_records(self.actor, self.get_client()))
        return super().get(request, *args, **kwargs)

    def success_url(self, result: Site) -> str:
        messages.success(self.request, _("The site has been saved."))
        return self.record_url(result.client)


class SiteUpdateView(ClientRecordMixin, ServiceFormView, View):
    form_class = SiteForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("Edit site")

    def get_instance(self) -> Site:
        site = selectors.site_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_client_records(self.actor, site.client))
        return site

    def perform(self, form: SiteForm) -> Site:
        return services.site_update(actor=self.actor, site=form.instance, **form.cleaned_data)

    def success_url(self, result: Site) -> str:
        messages.success(self.request, _("The site has been saved."))
        return self.record_url(result.client)


class SiteArchiveView(ClientRecordMixin, ActorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        site = selectors.site_get(actor=self.actor, pk=pk)
        services.site_archive(actor=self.actor, site=site)
        messages.success(request, _("The site has been archived."))
        return redirect(self.record_url(site.client))


class ContactCreateView(ClientRecordMixin, ServiceFormView, View):
    form_class = ContactForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("New contact")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"client": self.get_client()}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require(can_manage_client_records(self.actor, self.get_client()))
        return super().get(request, *args, **kwargs)

    def perform(self, form: ContactForm) -> Contact:
        return services.contact_create(actor=self.actor, client=self.get_client(), **form.cleaned_data)

    def success_url(self, result: Contact) -> str:
        messages.success(self.request, _("The contact has been saved."))
        return self.record_url(result.client)


class ContactUpdateView(ClientRecordMixin, ServiceFormView, View):
    form_class = ContactForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("Edit contact")

    def get_instance(self) -> Contact:
        contact = selectors.contact_get(actor=self.actor, pk=self.kwargs["pk"])
        require(can_manage_client_records(self.actor, contact.client))
        return contact

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"client": self.instance().client}

    def perform(self, form: ContactForm) -> Contact:
        return services.contact_update(actor=self.actor, contact=form.instance, **form.cleaned_data)

    def success_url(self, result: Contact) -> str:
        messages.success(self.request, _("The contact has been saved."))
        return self.record_url(result.client)


class ContactArchiveView(ClientRecordMixin, ActorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = selectors.contact_get(actor=self.actor, pk=pk)
        services.contact_archive(actor=self.actor, contact=contact)
        messages.success(request, _("The contact has been archived."))
        return redirect(self.record_url(contact.client))


# Users and roles ----------------------------------------------------------------------------------


class MembershipUrlMixin:
    actor: Membership

    def users_url(self) -> str:
        return reverse("portal:users" if self.actor.is_client_side else "tenancy:user_list")


class MembershipListView(MembershipUrlMixin, ActorRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        require(can_view_memberships(self.actor))
        memberships = selectors.membership_list(actor=self.actor)
        context = {"memberships": memberships, "can_manage": can_manage_memberships(self.actor)}
        return render(request, "tenancy/user_list.html", context)


class MembershipCreateView(MembershipUrlMixin, ServiceFormView, View):
    form_class = MembershipCreateForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("Add a user")

    def get_form_kwargs(self) -> dict[str, Any]:
        require(can_manage_memberships(self.actor))
        clients = None if self.actor.is_client_side else selectors.client_list(actor=self.actor)
        return {"roles": assignable_roles(self.actor), "clients": clients}

    def perform(self, form: MembershipCreateForm) -> Membership:
        data = form.cleaned_data
        return services.membership_create(
            actor=self.actor,
            email=data["email"],
            full_name=data.get("full_name", ""),
            role=data["role"],
            client=data.get("client"),
        )

    def success_url(self, result: Membership) -> str:
        messages.success(self.request, _("The user has been added."))
        return self.users_url()


class MembershipUpdateView(MembershipUrlMixin, ServiceFormView, View):
    form_class = MembershipRoleForm
    template_name = "tenancy/form.html"
    title = gettext_lazy("Change role")

    def get_instance(self) -> Membership:
        require(can_manage_memberships(self.actor))
        return selectors.membership_get(actor=self.actor, pk=self.kwargs["pk"])

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"roles": assignable_roles(self.actor)}

    def perform(self, form: MembershipRoleForm) -> Membership:
        return services.membership_update(actor=self.actor, membership=self.instance(), role=form.cleaned_data["role"])

    def success_url(self, result: Membership) -> str:
        messages.success(self.request, _("The role has been changed."))
        return self.users_url()


class MembershipArchiveView(MembershipUrlMixin, ActorRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        require(can_manage_memberships(self.actor))
        membership = selectors.membership_get(actor=self.actor, pk=pk)
        try:
            services.membership_archive(actor=self.actor, membership=membership)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The access has been deactivated."))
        return redirect(self.users_url())


# The provider's legal identity ---------------------------------------------------------------------


class ProviderIdentityView(ServiceFormView, View):
    """The legal identity printed on invoices and the numbering prefixes, with what invoices still miss."""

    side = "provider"
    form_class = ProviderIdentityForm
    template_name = "tenancy/provider_identity.html"
    title = gettext_lazy("Company: legal identity")

    def get_instance(self) -> Provider:
        require(can_edit_provider_identity(self.actor))
        return selectors.provider_get(actor=self.actor)

    def _form(self, data: Any = None) -> ProviderIdentityForm:
        files = self.request.FILES if data is not None else None
        return ProviderIdentityForm(data, files, instance=self.instance())

    def perform(self, form: ProviderIdentityForm) -> Provider:
        data = dict(form.cleaned_data)
        logo = data.pop("logo", None)
        return services.provider_update(
            actor=self.actor,
            logo=logo if isinstance(logo, bytes) else None,
            clear_logo=logo is False,
            **data,
        )

    def success_url(self, result: Provider) -> str:
        messages.success(self.request, _("The legal identity has been saved."))
        return reverse("tenancy:provider_identity")

    def get_context(self) -> dict[str, Any]:
        # The checklist reads what is saved: what the next billing run will print.
        return {"gaps": domain.invoice_identity_gaps(selectors.provider_get(actor=self.actor))}


class ProviderLogoView(ActorRequiredMixin, View):
    """The actor's own provider's saved logo (the company page's thumbnail): media files are never served.

    Who may see it is who may see the company page; no logo, or one that cannot be read, is a 404.
    """

    side = "provider"

    def get(self, request: HttpRequest) -> HttpResponse:
        require(can_edit_provider_identity(self.actor))
        provider = selectors.provider_get(actor=self.actor)
        if not provider.logo:
            raise Http404
        try:
            with provider.logo.open("rb") as handle:
                content = handle.read(domain.LOGO_MAX_BYTES + 1)
        except OSError as error:
            raise Http404 from error
        kind = filetype.guess(content)
        if kind is None or kind.mime not in domain.LOGO_TYPES:
            raise Http404
        # ``no-cache``: the URL stays when the logo changes, so the browser asks again, answered by a 304.
        etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
        response = HttpResponse(content, content_type=kind.mime)
        response["ETag"] = etag
        response["Content-Disposition"] = f'inline; filename="logo{domain.LOGO_TYPES[kind.mime]}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-cache"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return get_conditional_response(request, etag=etag, response=response) or response
