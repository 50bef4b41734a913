"""Make an API key: ``python -m serving.keys bkpsdm-jambi --role hr``.

Prints the secret (give it to the client once; it is not stored) and the entry to add to
``RECSYS_API_KEYS``, which holds only its SHA-256.
"""

import argparse
import json
import secrets
import sys
from collections.abc import Sequence
from typing import get_args

from serving.access.api_keys import hash_key
from serving.core.config import Role


def make_key(name: str, role: str) -> tuple[str, dict[str, dict[str, str]]]:
    """A new random secret and its ``RECSYS_API_KEYS`` entry."""
    if role not in get_args(Role):
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(get_args(Role))}")
    secret = secrets.token_urlsafe(32)
    return secret, {name: {"sha256": hash_key(secret), "role": role}}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving.keys", description=__doc__)
    parser.add_argument("name", help="who holds the key, e.g. bkpsdm-jambi or portal-simpeg")
    parser.add_argument("--role", required=True, choices=get_args(Role))
    args = parser.parse_args(argv)
    secret, entry = make_key(args.name, args.role)
    print(f"secret (X-API-Key; shown once, not stored): {secret}")
    print(f"add to RECSYS_API_KEYS: {json.dumps(entry)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
