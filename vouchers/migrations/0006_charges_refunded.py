"""Mark the wallet charges that each earlier refund paid back (``Charge.refund``), so that the
refund rule counts a charge until it is refunded and never after, without comparing times.

Before this migration the rule took the charges paid after the citizen's last refund; a charge
paid before a refund was paid back by it. A charge of another purpose (a card pledge) was never
the wallet's.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Charge = apps.get_model("vouchers", "Charge")
    Refund = apps.get_model("vouchers", "Refund")
    previous = {}
    for refund in Refund.objects.order_by("user_id", "created_at", "id"):
        charges = Charge.objects.filter(
            user_id=refund.user_id,
            purpose="wallet",
            status="paid",
            refund__isnull=True,
            paid_at__lte=refund.created_at,
        )
        if refund.user_id in previous:
            charges = charges.filter(paid_at__gt=previous[refund.user_id])
        charges.update(refund=refund)
        previous[refund.user_id] = refund.created_at


class Migration(migrations.Migration):
    dependencies = [("vouchers", "0005_provider_books")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
