from jike.customers.importers.cli import ImportCommand


class Command(ImportCommand):
    help = "Import group members from an operator export (CSV/XLSX); upsert by group + number (COPY on PostgreSQL)."
    kind = "members"
