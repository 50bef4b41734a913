"""ASGI middleware in front of the FastAPI routes: the body-size cap and the fast path for
employee reads."""
