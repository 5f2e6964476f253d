"""``prepaid_redeem(...)``: a counter redemption in one database call.

Like ``wallet_pay()`` (vouchers migration 0002), the locked part of a redemption runs here so
that the counter stays cheap. Called only by ``campaigns.services.prepaid_redeem``:

 1. the idempotency key is claimed (or its stored answer replayed, or a conflict raised);
 2. the shop must be approved; the customer's code, if any, is spent (once);
 3. the citizen's active pledges at the shop are locked and the amount is taken from them,
    earliest expiry first (a pledge past its validity is not spendable);
 4. the prepaid accounts are locked (after the pledge rows: the lock order of
    ``campaigns.services``) and the redemption entry goes through ``ledger_post``;
 5. with ``p_wallet_amount``, the rest of the bill is a ``wallet_pay()`` in the same
    transaction (rates decided by Python, as for any payment);
 6. the redemption, its parts and the pledges are written, and the stored answer.

Error codes: JP201 the prepaid balance is too small (HINT: what is available), plus those of
``wallet_pay()`` (JP002, JP101, JP102, JP103, JP001, JP198, JP199) and JP198 when a prepaid
account is missing.
"""

from django.db import migrations

from jeonju_prepay.sql import sql_file_operation


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("vouchers", "0002_wallet_pay_function"),
    ]

    operations = [sql_file_operation("campaigns", name) for name in ("prepaid_redeem",)]
