"""MLflow tracking: runs and the registry (:mod:`.registry`), the pyfunc models
(:mod:`.pyfunc`), offline bundles (:mod:`.bundle`) and models saved by earlier versions
(:mod:`.legacy`)."""

from typing import Any


def __getattr__(name: str) -> Any:
    # Models pickled by version 0.1 name their pyfunc classes as ``recsys.tracking.X``.
    from recsys.tracking.legacy import package_attribute

    return package_attribute(name)
