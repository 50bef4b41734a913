"""The data layer: the contract, reading sources, checking rows, the load report.

Usage::

    ds = load_dataset("data/raw")          # a folder, or a SQLAlchemy URL
    ds.employees                           # typed frame of the valid rows
    ds.report.write("reports/load")        # counts, reasons, quarantined rows

See :mod:`recsys.data.contract` for the tables and their rules.
"""

from recsys.data.loading import Dataset, ProgressCallback, load_dataset
from recsys.data.report import Detected, LoadReport, TableReport
from recsys.data.sources import DataContractError, RawTable, read_raw_tables, write_dataset

__all__ = [
    "DataContractError",
    "Dataset",
    "Detected",
    "LoadReport",
    "ProgressCallback",
    "RawTable",
    "TableReport",
    "load_dataset",
    "read_raw_tables",
    "write_dataset",
]
