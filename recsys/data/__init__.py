"""The data layer: the contract, reading sources, checking rows, the load report.

Usage::

    ds = load_dataset("data/raw")          # a folder, an .xlsx workbook, or a SQLAlchemy URL
    ds = load_dataset("agency.xlsx", columns="siasn,ekinerja")   # the agency's own headers
    ds.employees                           # typed frame of the valid rows
    ds.report.write("reports/load")        # counts, reasons, quarantined rows (id; lang="en")

See :mod:`recsys.data.contract` for the tables and their rules, and docs/data-formats.md
for the formats HR data arrives in (:mod:`recsys.data.formats`, :mod:`recsys.data.mapping`).
"""

from recsys.data.loading import Dataset, ProgressCallback, load_dataset
from recsys.data.mapping import ColumnMapping, MappingError, load_mapping
from recsys.data.report import Detected, LoadReport, TableReport
from recsys.data.sources import DataContractError, RawTable, read_raw_tables, write_dataset

__all__ = [
    "ColumnMapping",
    "DataContractError",
    "Dataset",
    "Detected",
    "LoadReport",
    "MappingError",
    "ProgressCallback",
    "RawTable",
    "TableReport",
    "load_dataset",
    "load_mapping",
    "read_raw_tables",
    "write_dataset",
]
