from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_roles

    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    """The annual plan (authority) and funds (finance) actions of the project lifecycle in the role table."""

    dependencies = [
        ("orgs", "0009_rulesetversion"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
