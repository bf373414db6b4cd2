from django.db import migrations


def load(apps, schema_editor):
    from sanbu.orgs.loaders import load_jurisdictions, load_roles

    load_jurisdictions(apps.get_model("orgs", "Jurisdiction"))
    load_roles(apps.get_model("orgs", "Role"))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
