"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory
from stdnum import luhn

from pacte.accounts.models import User
from pacte.tenancy.models import Client, Contact, Membership, Provider, Role, Site

PASSWORD = "test-password-2026"


def valid_siren(n: int) -> str:
    base = f"{(30000000 + n * 7919) % 100000000:08d}"
    return base + luhn.calc_check_digit(base)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Prestataire {n}")


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    siren = factory.Sequence(valid_siren)
    city = "Lyon"


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory)
    provider = factory.SelfAttribute("client.provider")
    name = factory.Sequence(lambda n: f"Site {n}")
    city = "Lyon"


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    provider = factory.SelfAttribute("client.provider")
    first_name = "Jeanne"
    last_name = factory.Sequence(lambda n: f"Contact{n}")
    email = factory.Sequence(lambda n: f"contact{n}@client.test")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ProviderFactory)
    client = None
    role = Role.PROVIDER_ADMIN


# SLA ---------------------------------------------------------------------------------------------

OFFICE_WEEK = {
    **{day: [["08:00", "12:00"], ["13:30", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [],
    "sun": [],
}


class BusinessCalendarFactory(DjangoModelFactory):
    class Meta:
        model = "sla.BusinessCalendar"

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Calendrier {n}")
    time_zone = "Europe/Paris"
    week = factory.LazyFunction(lambda: {day: [list(w) for w in ws] for day, ws in OFFICE_WEEK.items()})


class ServiceLevelFactory(DjangoModelFactory):
    class Meta:
        model = "sla.ServiceLevel"

    calendar = factory.SubFactory(BusinessCalendarFactory)
    provider = factory.SelfAttribute("calendar.provider")
    name = factory.Sequence(lambda n: f"Niveau {n}")
