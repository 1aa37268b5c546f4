from jike.customers.importers.cli import ImportCommand


class Command(ImportCommand):
    help = "Import group customers from an operator export (CSV/XLSX); upsert by credit code."
    kind = "customers"
