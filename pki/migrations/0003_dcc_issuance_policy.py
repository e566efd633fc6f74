"""The DCC's own User IDs hold no DUIS User Role: policy rows for them use the pseudo-role "DCC"
(pki.issuance.DCC_POLICY_ROLE). Its XML signing certificate has OU 89 (DSP XML signing)."""

from django.db import migrations

KINDS = ("xml-signing", "digital-signing", "key-agreement")


def seed(apps, schema_editor):
    policy = apps.get_model("pki", "IssuancePolicy")
    for kind in KINDS:
        policy.objects.get_or_create(role="DCC", kind=kind, defaults={"note": "User IDs of the DCC Party"})


def unseed(apps, schema_editor):
    apps.get_model("pki", "IssuancePolicy").objects.filter(role="DCC").delete()


class Migration(migrations.Migration):
    dependencies = [("pki", "0002_seed_issuance_policy")]
    operations = [migrations.RunPython(seed, unseed)]
