"""ASN Recsys: personalized competency development for Indonesian civil servants."""

__version__ = "0.1.0"
