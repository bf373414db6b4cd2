from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_roles

    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    """The information system inventory's actions (inventory.system.view / manage) in the role table."""

    dependencies = [
        ("orgs", "0006_notices"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
