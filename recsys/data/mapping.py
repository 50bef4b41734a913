"""An agency's own column names and category values, mapped to the contract's.

Exports from SIASN, e-Kinerja or a training unit's spreadsheet name their columns their
own way (``NIP BARU``, ``TGL LAHIR``, ``NILAI SKP``) and write categories as people read
them (``Sangat Baik``, ``Laki-laki``). A mapping file (YAML) says what each means::

    columns:                    # for every table
      NIP BARU: nip
    tables:
      employees:
        columns:
          TGL LAHIR: birth_date
          JABATAN: position
        values:
          gender: {Laki-laki: M, Perempuan: F}
      performance:
        columns:
          NILAI SKP: score

Headers and values match ignoring case, underscores and repeated spaces. Two ready
mappings ship with the project (``siasn``, ``ekinerja``; see docs/data-formats.md); a
name without a path suffix picks one of them. Several files can be combined (``siasn,ekinerja``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from recsys.data.contract import TABLES
from recsys.data.contract import table as contract_table

#: Where the shipped mappings live; ``<name>.yaml`` for each.
SHIPPED_DIR = Path(__file__).with_name("mappings")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the key."""


def shipped_mappings() -> list[str]:
    """The names of the mappings that ship with the project."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def header_key(text: object) -> str:
    """How headers and values are compared: case-folded, underscores as spaces, spaces
    collapsed, trimmed (``NIP_BARU``, ``NIP BARU`` and `` nip  baru`` are one header)."""
    return re.sub(r"[\s_]+", " ", str(text)).strip().casefold()


@dataclass(frozen=True)
class TableMapping:
    """One table's mapping: header key -> contract column; column -> value key -> value."""

    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnMapping:
    """The combined mapping of one or more files (see the module docstring)."""

    tables: Mapping[str, TableMapping] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def for_table(self, name: str) -> TableMapping:
        """``name``'s mapping (empty if the files say nothing about it)."""
        return self.tables.get(name, TableMapping())

    def __bool__(self) -> bool:
        return any(m.columns or m.values for m in self.tables.values())


def load_mapping(spec: str | Path | None) -> ColumnMapping:
    """The mapping named by ``spec``: a YAML file's path, a shipped mapping's name, or
    several of them separated by commas (later ones win); None or "" gives no mapping.

    Raises :class:`MappingError` naming the file and key for anything that cannot be used.
    """
    if spec is None or str(spec).strip() == "":
        return ColumnMapping()
    parts = [p.strip() for p in str(spec).split(",") if p.strip()]
    tables: dict[str, dict[str, Any]] = {}
    sources = []
    for part in parts:
        path = _resolve(part)
        sources.append(str(path))
        for name, mapping in _read(path).items():
            merged = tables.setdefault(name, {"columns": {}, "values": {}})
            merged["columns"].update(mapping.columns)
            for column, values in mapping.values.items():
                merged["values"].setdefault(column, {}).update(values)
    return ColumnMapping(
        tables={n: TableMapping(m["columns"], m["values"]) for n, m in tables.items()},
        sources=tuple(sources),
    )


def _resolve(part: str) -> Path:
    path = Path(part).expanduser()
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise MappingError(f"column mapping file {path} does not exist")
        return path
    shipped = SHIPPED_DIR / f"{part}.yaml"
    if shipped.is_file():
        return shipped
    raise MappingError(
        f"column mapping '{part}' is neither a file nor a shipped mapping "
        f"(shipped: {', '.join(shipped_mappings())})"
    )


def _read(path: Path) -> dict[str, TableMapping]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise MappingError(f"{path}: cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected sections 'columns' and 'tables', not a list")
    unknown = sorted(set(data) - {"columns", "tables"})
    if unknown:
        raise MappingError(
            f"{path}: unknown section {', '.join(map(repr, unknown))} "
            "(expected 'columns' and 'tables')"
        )
    out: dict[str, TableMapping] = {}
    shared = _columns(path, "columns", data.get("columns"), None)
    for t in TABLES:
        own = {h: c for h, c in shared.items() if c in t.column_names}
        if own:
            out[t.name] = TableMapping(own, {})
    sections = data.get("tables") or {}
    if not isinstance(sections, dict):
        raise MappingError(f"{path}: 'tables' must map table names to their sections")
    names = {t.name for t in TABLES}
    for name, section in sections.items():
        if name not in names:
            raise MappingError(
                f"{path}: tables.{name}: not a table of the contract "
                f"(tables: {', '.join(sorted(names))})"
            )
        section = section or {}
        if not isinstance(section, dict) or set(section) - {"columns", "values"}:
            raise MappingError(f"{path}: tables.{name}: expected keys 'columns' and 'values'")
        columns = {
            **(out[name].columns if name in out else {}),
            **_columns(path, f"tables.{name}.columns", section.get("columns"), name),
        }
        values = _values(path, f"tables.{name}.values", section.get("values"), name)
        out[name] = TableMapping(columns, values)
    return out


def _columns(path: Path, where: str, raw: Any, table: str | None) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: {where}: expected 'HEADER: column' pairs")
    valid = (
        set(contract_table(table).column_names)
        if table
        else {c for t in TABLES for c in t.column_names}
    )
    out = {}
    for header, column in raw.items():
        if not isinstance(column, str) or column not in valid:
            what = f"table '{table}'" if table else "any table"
            raise MappingError(
                f"{path}: {where}.{header}: '{column}' is not a column of {what} in the contract"
            )
        out[header_key(header)] = column
    return out


def _values(path: Path, where: str, raw: Any, table: str) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: {where}: expected 'column: {{value: value}}' sections")
    columns = contract_table(table).column_names
    out: dict[str, dict[str, str]] = {}
    for column, pairs in raw.items():
        if column not in columns:
            raise MappingError(f"{path}: {where}.{column}: not a column of table '{table}'")
        if not isinstance(pairs, dict):
            raise MappingError(f"{path}: {where}.{column}: expected 'value: value' pairs")
        out[column] = {header_key(k): _scalar(v) for k, v in pairs.items()}
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
