"""Character index for the customer search box (PostgreSQL only); replaces the bigram index of 0005.

A GIN index on the set of lower-cased characters of `name || ' ' || short_name`
(`string_to_array(text, NULL)`, built into PostgreSQL and written in C) answers `chars @> chars of
the term` for terms of any length, 1 character included (医, 校, 局 are common searches, and they
scanned all customers: 75-115 ms at 100,000 customers, now 8 ms). The search keeps the `ILIKE`
on the same expression, so results stay exactly the ILIKE's (`CustomerFilterSet.search`).

Measured on the large demo (docs/benchmarks.md, "Search by characters"): as selective as the
bigrams for every benchmark term, a third of the size (2.9 MB against 8.6 MB), and 2 us per
customer row written instead of 15-18 us for the SQL bigram function (every insert or non-HOT
update of a customer, such as the member-count refresh of an import, evaluated it).

Also drops customer_grid_idx: the grid foreign key's own index is the same B-tree on grid_id.
"""

from importlib import import_module

from django.db import migrations

CHARS = "string_to_array(lower((name || ' ' || short_name)), NULL)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS customer_name_chars ON customers_customer USING gin ({CHARS})")
    schema_editor.execute("DROP INDEX IF EXISTS customer_name_bigram")
    schema_editor.execute("DROP FUNCTION IF EXISTS customers_bigrams(text)")
    schema_editor.execute("ANALYZE customers_customer")  # statistics of the new index expression


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    bigrams = import_module("jike.customers.migrations.0005_name_bigram_search")
    schema_editor.execute(bigrams.FUNCTION)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_name_bigram ON customers_customer "
        "USING gin (customers_bigrams((name || ' ' || short_name)))"
    )
    schema_editor.execute("DROP INDEX IF EXISTS customer_name_chars")


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_member_drop_redundant_customer_index")]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveIndex(model_name="customer", name="customer_grid_idx"),
    ]
