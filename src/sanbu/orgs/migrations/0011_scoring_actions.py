from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_roles

    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    """Scoring actions (scoring.view, scoring.snapshot.build, scoring.external.enter) in the role table."""

    dependencies = [
        ("orgs", "0010_lifecycle_actions"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
