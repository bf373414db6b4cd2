from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_roles

    # roles.yaml grants the authority ``calendar.manage`` (the working-day calendar, core.calendar)
    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_reference_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
