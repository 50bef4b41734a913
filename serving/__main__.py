"""Run the API: ``python -m serving`` (settings from the environment, ``RECSYS_API_*``), or
``python -m serving --demo``: the API over the demo world with the registry's champions and
the demo keys, plus the demo portal page on its own origin, embedding the widget.

In production run the API under uvicorn directly: ``uvicorn serving.main:create_app
--factory --host 0.0.0.0 --port 8000``. Outside demo mode ``RECSYS_API_TOKEN_SECRET`` must
be set (see ``serving.core.config``).
"""

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Sequence

import uvicorn
from pydantic import ValidationError

from recsys.settings import LANGUAGES, get_settings
from serving.core.config import DEMO_KEYS, ServingSettings
from serving.main import create_app
from serving.portal.app import create_portal_app

#: How many demo employees the portal's selector offers.
PORTAL_PEOPLE = 6

_TEXT = {
    "id": {
        "busy": "Port {port} di {host} sudah dipakai. Hentikan proses lain itu atau pilih "
        "port lain dengan --port / --portal-port.",
        "loading": "Memuat model dan menyiapkan rekomendasi untuk semua pegawai aktif "
        "(sekitar satu menit untuk 20.000 pegawai)…",
        "failed": "Model tidak dapat dimuat; lihat pesan di atas. Sudahkah `make demo` "
        "melatih model? API tetap berjalan dan /readyz menjawab 503.",
        "from_store": "Membaca rekomendasi yang sudah dihitung dari {store}…",
        "ready": "API siap",
        "docs": "Dokumentasi API (OpenAPI)",
        "portal": "Halaman portal demo (widget)",
        "keys": "Kunci demo (header X-API-Key)",
        "stop": "Tekan Ctrl+C untuk berhenti.",
        "settings": "Pengaturan API (variabel lingkungan RECSYS_API_*) tidak valid:",
    },
    "en": {
        "busy": "Port {port} on {host} is already in use. Stop that process or choose "
        "another port with --port / --portal-port.",
        "loading": "Loading the models and computing every active employee's "
        "recommendations (about a minute for 20,000 employees)…",
        "failed": "The models could not be loaded; see the messages above. Has `make demo` "
        "trained them? The API keeps running and /readyz answers 503.",
        "from_store": "Reading the recommendations already scored in {store}…",
        "ready": "API ready",
        "docs": "API documentation (OpenAPI)",
        "portal": "Demo portal page (widget)",
        "keys": "Demo keys (X-API-Key header)",
        "stop": "Press Ctrl+C to stop.",
        "settings": "The API's settings (RECSYS_API_* environment variables) are not valid:",
    },
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the API's port")
    parser.add_argument("--demo", action="store_true", help="demo world, keys and portal")
    parser.add_argument("--portal-port", type=int, default=8001, help="the demo portal's port")
    parser.add_argument(
        "--lang", choices=LANGUAGES, help="language of these messages (default: RECSYS_LANG)"
    )
    args = parser.parse_args(argv)
    text = _TEXT[args.lang or get_settings().lang]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = _settings(args)
    except ValidationError as exc:
        print(text["settings"], file=sys.stderr)
        for error in exc.errors():
            where = "".join(f"RECSYS_API_{part}: ".upper() for part in error["loc"][:1])
            print(f"  {where}{error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    ports = [args.port, *([args.portal_port] if args.demo else [])]
    for port in ports:
        if not _free(args.host, port):
            print(text["busy"].format(host=args.host, port=port), file=sys.stderr)
            return 1
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args, settings, text))
    return 0


def _settings(args: argparse.Namespace) -> ServingSettings:
    if not args.demo:
        return ServingSettings()
    portal = f"http://{args.host}:{args.portal_port}"
    origins = [portal]
    if args.host == "127.0.0.1":
        origins.append(f"http://localhost:{args.portal_port}")
    return ServingSettings(
        data=str(get_settings().demo_dir),
        demo_mode=True,
        widget_origins=origins,
        store=_scored_store(),
    )


def _scored_store() -> str | None:
    """The demo's recommendation store if ``recsys demo`` has scored into it (the API then
    starts in seconds), else None (the API scores everybody itself)."""
    from recsys.scoring.store import RecommendationStore, StoreError

    url = get_settings().store
    try:
        store = RecommendationStore(url)
    except StoreError:
        return None
    try:
        return url if store.current() is not None else None
    finally:
        store.dispose()


async def _run(args: argparse.Namespace, settings: ServingSettings, text: dict[str, str]) -> None:
    app = create_app(settings)
    api = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning"))
    if settings.store:
        print(text["from_store"].format(store=settings.store), flush=True)
    else:
        print(text["loading"], flush=True)
    servers = [asyncio.create_task(api.serve())]
    while not api.started and not servers[0].done():  # the lifespan loads before "started"
        await asyncio.sleep(0.2)
    current = app.state.state.current
    if current is None:
        print(text["failed"], file=sys.stderr, flush=True)
        await asyncio.gather(*servers)
        return
    base = f"http://{args.host}:{args.port}"
    lines = [
        f"{text['ready']} — {base}  ({current.versions})",
        f"  {text['docs']}: {base}/docs",
    ]
    if args.demo:
        people = current.demo_people(PORTAL_PEOPLE)
        portal = create_portal_app(base, DEMO_KEYS["demo-portal"][0], nips=people)
        portal_server = uvicorn.Server(
            uvicorn.Config(portal, host=args.host, port=args.portal_port, log_level="warning")
        )
        servers.append(asyncio.create_task(portal_server.serve()))
        lines.append(f"  {text['portal']}: http://{args.host}:{args.portal_port}/")
        lines.append(
            f"  {text['keys']}: "
            + ", ".join(f"{secret} ({role})" for secret, role in DEMO_KEYS.values())
        )
    lines.append(text["stop"])
    print("\n".join(lines), flush=True)
    await asyncio.gather(*servers)


def _free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    sys.exit(main())
