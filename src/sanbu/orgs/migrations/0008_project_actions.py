from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_roles

    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    """Project governance and ruleset actions (projects.*, policy.ruleset.*) in the role table."""

    dependencies = [
        ("orgs", "0007_inventory_actions"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
