import campaigns.models
from django.core.files.storage import default_storage
from django.db import migrations, models


def delete_finished_uploads(apps, schema_editor):
    """Files of lists already loaded or refused were kept under the officer's file name; their rows
    are in the database, so the files go."""
    RecipientFile = apps.get_model("campaigns", "RecipientFile")
    finished = RecipientFile.objects.filter(status__in=["ready", "failed"]).exclude(file="")
    for recipient_file in finished.iterator():
        default_storage.delete(recipient_file.file.name)
    finished.update(file="")


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0003_control"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recipientfile",
            name="file",
            field=models.FileField(blank=True, upload_to=campaigns.models.recipient_file_name),
        ),
        migrations.RunPython(delete_finished_uploads, migrations.RunPython.noop),
    ]
