"""The nightly run's records (JobRun, PrepaidSnapshot) now belong to the operations app; their
tables stay where they are, under their old names. Only Django's state changes here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_rollups"),
        ("operations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="JobRun"),
                migrations.DeleteModel(name="PrepaidSnapshot"),
            ]
        ),
        migrations.AlterModelOptions(
            name="rollupdate",
            options={
                "ordering": ["-business_date"],
                "permissions": [("view_dashboard", "Can see the city dashboard")],
                "verbose_name": "rolled-up date",
                "verbose_name_plural": "rolled-up dates",
            },
        ),
    ]
