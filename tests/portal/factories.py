"""factory_boy factories for the registry."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.models import Party, PartyKind, UserID, UserRole


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    name = factory.Sequence(lambda n: f"Party {n}")
    short_name = factory.Sequence(lambda n: f"party{n}")
    kind = PartyKind.SUPPLIER


class UserIDFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserID
        skip_postgeneration_save = True

    eui = factory.Sequence(lambda n: f"90-B3-D5-1F-40-{(n >> 16) & 0xFF:02X}-{(n >> 8) & 0xFF:02X}-{n & 0xFF:02X}")
    party = factory.SubFactory(PartyFactory)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            UserRole.objects.create(holder=self, role=role)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    password = factory.django.Password("correct-horse-battery")


def revoked_supplier(**kwargs) -> Party:
    return PartyFactory(kind=PartyKind.SUPPLIER, licence_status="revoked", licence_revoked_at=timezone.now(), **kwargs)
