from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_roles

    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    """Consumer apps and keys: exchange.app.view and exchange.app.manage in the role table."""

    dependencies = [("orgs", "0003_calendar_action")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
