from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_roles

    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    """Share requests and grants: exchange.request.* and exchange.grant.revoke in the role table."""

    dependencies = [("orgs", "0004_exchange_actions")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
