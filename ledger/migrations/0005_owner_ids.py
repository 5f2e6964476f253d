"""The ledger knows shops and counter devices by number only.

``Account.owner_shop`` and ``Entry.device`` were foreign keys into ``merchants``, an app above
the ledger in the layers. The columns stay as they are (``owner_shop_id``, ``device_id``); only
the foreign-key constraints go, and Django's state sees plain integers. Shops and devices are
never deleted (a shop closes, a device is revoked), so no id can dangle.
"""

from django.db import migrations, models

DROP_FOREIGN_KEYS = r"""
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT c.conname, t.relname
          FROM pg_constraint c
          JOIN pg_class t ON t.oid = c.conrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_class r ON r.oid = c.confrelid
         WHERE c.contype = 'f' AND n.nspname = current_schema()
           AND t.relname IN ('ledger_account', 'ledger_entry')
           AND r.relname IN ('merchants_shop', 'merchants_device')
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', fk.relname, fk.conname);
    END LOOP;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_provider_clearing")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP_FOREIGN_KEYS, migrations.RunSQL.noop)],
            state_operations=[
                migrations.RemoveConstraint(model_name="account", name="ledger_account_owner_shape"),
                migrations.RemoveConstraint(model_name="account", name="ledger_account_one_per_owner"),
                migrations.RemoveIndex(model_name="account", name="ledger_acco_owner_s_519e2a_idx"),
                migrations.RemoveField(model_name="account", name="owner_shop"),
                migrations.AddField(
                    model_name="account",
                    name="owner_shop_id",
                    field=models.BigIntegerField(blank=True, null=True),
                ),
                migrations.RemoveField(model_name="entry", name="device"),
                migrations.AddField(
                    model_name="entry",
                    name="device_id",
                    field=models.BigIntegerField(blank=True, null=True),
                ),
                # The same index and constraints as before, on the same columns.
                migrations.AddIndex(
                    model_name="account",
                    index=models.Index(
                        fields=["owner_shop_id", "kind"], name="ledger_acco_owner_s_519e2a_idx"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="account",
                    constraint=models.UniqueConstraint(
                        fields=("owner_user", "owner_shop_id", "kind", "shard", "provider"),
                        name="ledger_account_one_per_owner",
                        nulls_distinct=False,
                    ),
                ),
                migrations.AddConstraint(
                    model_name="account",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                models.Q(
                                    ("kind__in", ["wallet_principal", "wallet_incentive"]),
                                    ("owner_shop_id__isnull", True),
                                    ("owner_user__isnull", False),
                                ),
                                models.Q(
                                    ("kind", "prepaid"),
                                    ("owner_shop_id__isnull", False),
                                    ("owner_user__isnull", False),
                                ),
                                models.Q(
                                    ("kind__in", ["shop_payable", "shop_payouts", "prepaid_issued"]),
                                    ("owner_shop_id__isnull", False),
                                    ("owner_user__isnull", True),
                                ),
                                models.Q(
                                    (
                                        "kind__in",
                                        [
                                            "float",
                                            "incentive_budget",
                                            "grant_budget",
                                            "guarantee_fund",
                                            "outside_world",
                                        ],
                                    ),
                                    ("owner_shop_id__isnull", True),
                                    ("owner_user__isnull", True),
                                ),
                                models.Q(
                                    ("kind", "provider_clearing"),
                                    ("owner_shop_id__isnull", True),
                                    ("owner_user__isnull", True),
                                ),
                                _connector="OR",
                            ),
                            models.Q(
                                models.Q(("kind", "provider_clearing"), ("provider__gt", "")),
                                ("provider", ""),
                                _connector="OR",
                            ),
                        ),
                        name="ledger_account_owner_shape",
                    ),
                ),
            ],
        ),
    ]
