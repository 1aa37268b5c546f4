"""Drop customers_member's own index on customer_id (Django's default foreign key index).

The unique constraint member_unique_per_customer is a B-tree on (customer_id, msisdn): it serves every
lookup, join and cascade by customer_id as well, so the single-column index only cost writes: each
imported member updated four B-trees instead of three (see docs/benchmarks.md, "Member import").
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "customers_member_customer_id_5a46a73e"  # the name Django gave it in 0001_initial


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_name_bigram_search")]

    # Only the index goes: Django's AlterField would also drop and re-add (and so re-validate over
    # every member row) the foreign key itself.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f"CREATE INDEX {INDEX} ON customers_member (customer_id)",
                )
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="member",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="members",
                        to="customers.customer",
                    ),
                )
            ],
        )
    ]
