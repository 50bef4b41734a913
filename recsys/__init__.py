"""ASN Recsys: personalized competency development for Indonesian civil servants."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asn-recsys")  # one source: pyproject.toml
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0.0.0+unknown"
