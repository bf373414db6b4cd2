from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("datastore", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="datarow",
            index=models.Index(fields=["mount_id", "id"], name="datastore_mount_id_watermark"),
        ),
    ]
