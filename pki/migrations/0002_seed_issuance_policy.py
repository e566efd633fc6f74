"""Seed the issuance policy (docs/pki.md): which DUIS User Roles may hold which kinds of certificate."""

from django.conf import settings
from django.db import migrations

ALL = ("xml-signing", "digital-signing", "key-agreement")

# Suppliers and Network Operators sign GBCS commands and agree keys with devices; the others send DUIS
# Service Requests (XML signing) and receive GBCS responses (key agreement).
SEED = {
    "IS": ALL, "ES": ALL, "GS": ALL, "ED": ALL, "GT": ALL,
    "RSA": ("xml-signing", "key-agreement"),
    "OU": ("xml-signing", "key-agreement"),
}
SOLR_NOTE = "MP134B business requirement 2: XML signing only, never Digital Signing for Critical Commands"


def seed(apps, schema_editor):
    policy = apps.get_model("pki", "IssuancePolicy")
    for role, kinds in SEED.items():
        for kind in kinds:
            policy.objects.get_or_create(role=role, kind=kind)
    policy.objects.get_or_create(role=settings.SOLR_CONTINGENCY_ROLE_CODE, kind="xml-signing",
                                 defaults={"note": SOLR_NOTE})


def unseed(apps, schema_editor):
    apps.get_model("pki", "IssuancePolicy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("pki", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
