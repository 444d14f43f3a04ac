"""The provider's identity fields are declared once (``domain.ProviderIdentity``): the company form, the
service, the API's output and its PATCH all name the same fields, in the same order."""

from __future__ import annotations

import typing

from pacte.tenancy import domain, schemas, services
from pacte.tenancy.forms import ProviderIdentityForm
from pacte.tenancy.models import Provider


def test_the_field_list_is_the_protocol_s_attributes_and_each_is_a_provider_field():
    fields = domain.PROVIDER_IDENTITY_FIELDS
    assert fields == tuple(typing.get_type_hints(domain.ProviderIdentity))
    assert all(Provider._meta.get_field(name).concrete for name in fields)


def test_form_service_and_api_take_the_one_list():
    fields = list(domain.PROVIDER_IDENTITY_FIELDS)
    assert list(ProviderIdentityForm.base_fields) == [*fields, "logo"]
    assert list(services.PROVIDER_IDENTITY_FIELDS) == fields
    assert list(schemas.ProviderOut.model_fields) == ["id", *fields, "has_logo", "missing_mentions"]
    assert list(schemas.ProviderPatch.model_fields) == fields  # the input keeps its own limits, not its own list


def test_the_api_output_types_come_from_the_protocol():
    out = schemas.ProviderOut.model_fields
    assert out["share_capital"].annotation == typing.get_type_hints(domain.ProviderIdentity)["share_capital"]
    assert all(out[name].is_required() for name in domain.PROVIDER_IDENTITY_FIELDS)
