from django.db import migrations


def load(apps, schema_editor):
    from sanbu.catalog.loaders import load_base_elements

    load_base_elements(apps.get_model("catalog", "DataElement"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
