"""Imports of operator exports (customers, members) from CSV/XLSX with per-row rejects.

Entry points: `create_job` then `start` (UI/API, background) or `run_job` (CLI, inline).
"""

from jike.customers.importers.runner import create_job, run_job, start

__all__ = ["create_job", "run_job", "start"]
