"""The audit log: who asked for whose personal data, what, when, with which model.

One JSON object per line, appended and flushed per record (UU PDP accountability); or,
with a PostgreSQL recommendation store, one row per record in its append-only table.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from recsys.scoring.store import RecommendationStore


def audit_entry(*, caller: str, role: str, nip: str, action: str, model: str) -> dict[str, str]:
    """One audit record: when, who (key and role), whose NIP, what, with which models."""
    return {
        "at": datetime.now(UTC).isoformat(),
        "caller": caller,
        "role": role,
        "nip": nip,
        "action": action,
        "model": model,
    }


class AuditLog:
    """Append-only JSON-lines audit records."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # line-buffered: each record reaches the file as one write, no open() per request
        self._handle = self.path.open("a", encoding="utf-8", buffering=1)

    def record(self, *, caller: str, role: str, nip: str, action: str, model: str) -> None:
        entry = audit_entry(caller=caller, role=role, nip=nip, action=action, model=model)
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self._handle.write(line + "\n")

    def close(self) -> None:
        with self._lock:
            self._handle.close()


class StoreAuditLog:
    """Audit records appended to the recommendation store's ``rec_audit`` table (the
    production choice with PostgreSQL: one table for every worker and replica, never
    updated or deleted by the project)."""

    def __init__(self, store: RecommendationStore) -> None:
        self.store = store

    def record(self, *, caller: str, role: str, nip: str, action: str, model: str) -> None:
        entry = audit_entry(caller=caller, role=role, nip=nip, action=action, model=model)
        self.store.record_access([entry])

    def close(self) -> None:
        """Nothing to close: the store's connections belong to the store."""
