"""PostgreSQL only: a GIN index on the French full-text vector of ``Ticket.search_text`` (the queue's search).

SQLite has no such index: the embedded default searches with a plain case-insensitive match instead.
"""

from django.db import migrations

INDEX = "servicedesk_ticket_search_fts"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON servicedesk_ticket "
            "USING GIN (to_tsvector('french'::regconfig, COALESCE(search_text, '')))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
