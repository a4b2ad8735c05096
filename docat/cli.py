"""`docat`: serve, worker, migrate, create-admin, process, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from docat.errors import DocatError
from docat.settings import ConfigurationError, Settings, load_settings
from jobs.pdf.errors import PdfError

DESCRIPTION = """PDF Docat: a PDF processing service with a GraphQL API.

With nothing configured `docat serve` runs embedded: SQLite, files and a
secret key under ./data, jobs and events in this process. GraphiQL is then at
http://127.0.0.1:8000/graphql. Set DATABASE_URL, REDIS_URL and S3_BUCKET for
production (see README.md)."""


def _fail(message: str, code: int = 2) -> int:
    print(f"docat: {message}", file=sys.stderr)
    return code


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from docat.logging import logging_config

    if args.workers > 1 and settings.embedded:
        return _fail(
            "--workers > 1 needs REDIS_URL: without Redis, jobs and live events stay inside one "
            "process, so a second process would never see them. Set REDIS_URL (and DATABASE_URL) "
            "or run one worker."
        )
    settings.validate_for_startup()
    uvicorn.run(
        "graphql_api.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=logging_config(settings.log_level, settings.log_json),
        proxy_headers=True,
        # The client behind trusted proxies: the right-most X-Forwarded-For address not in them.
        forwarded_allow_ips=args.forwarded_allow_ips or settings.trusted_proxies,
        ws_per_message_deflate=False,  # ~10 µs and ~40 KiB per connection for tiny JSON frames
        # Subscribe messages are small; uvicorn's 16 MiB default would be read and parsed first.
        ws_max_size=1024 * 1024,
        timeout_graceful_shutdown=20,
    )
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if settings.embedded:
        return _fail(
            "`docat worker` needs REDIS_URL (the arq queue). Without it, `docat serve` runs jobs itself."
        )
    settings.validate_for_startup()
    from jobs.worker import run_worker

    run_worker(settings)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from docat.db import migrate_database

    asyncio.run(migrate_database(settings))
    print("database is up to date")
    return 0


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from docat.accounts import create_or_promote_admin
    from docat.db import open_database

    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password for the admin: ")
        if password != getpass.getpass("Repeat the password: "):
            return _fail("the passwords differ")
    elif password is None:
        password = sys.stdin.readline().rstrip("\n") or None

    async def run() -> tuple[str, bool]:
        async with open_database(settings, migrate=not settings.is_postgres):
            user, created = await create_or_promote_admin(args.email, password)
            return user.email, created

    email, created = asyncio.run(run())
    print(f"{'created' if created else 'promoted'} admin {email}")
    return 0


def cmd_process(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.local_process import process_file

    output = process_file(
        Path(args.file),
        output_format=args.format,
        engine=args.engine,
        password=args.password,
        pages=args.pages,
        ocr_language=args.ocr_language,
        translate_to=args.translate_to,
        settings=settings,
        max_tokens=args.max_tokens,
        overlap=args.overlap,
    )
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from graphql_api.schema import schema

    sys.stdout.write(schema.as_str() + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docat", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the API (GraphQL at /graphql)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="API processes (more than 1 needs REDIS_URL)")
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="proxies trusted for X-Forwarded-* headers (default: TRUSTED_PROXIES, 127.0.0.1)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run an arq worker that processes documents (needs REDIS_URL)")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    admin = sub.add_parser("create-admin", help="create an admin, or promote an existing user")
    admin.add_argument("email")
    admin.add_argument("--password", help="the password (prompted for when omitted)")
    admin.set_defaults(func=cmd_create_admin)

    process = sub.add_parser("process", help="run the pipeline on one file locally, no server")
    process.add_argument("file", help="the PDF")
    process.add_argument("--format", choices=["json", "markdown", "text", "chunks"], default="markdown")
    process.add_argument(
        "--engine", choices=["AUTO", "TEXT", "OCR", "LLM_OCR"], default="AUTO", type=str.upper
    )
    process.add_argument("--password", help="for encrypted PDFs")
    process.add_argument("--pages", help='page ranges, e.g. "1-3,7"')
    process.add_argument("--ocr-language", default="eng", help='Tesseract languages, e.g. "eng+deu"')
    process.add_argument("--translate-to", help="BCP 47 code, e.g. de, ja, zh-Hans (needs a provider key)")
    process.add_argument("--max-tokens", type=int, default=512, help="--format chunks: tokens per chunk")
    process.add_argument("--overlap", type=int, default=0, help="--format chunks: tokens repeated")
    process.add_argument("-o", "--output", help="write here instead of stdout")
    process.set_defaults(func=cmd_process)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.func(args, settings) or 0)
    except ConfigurationError as exc:
        return _fail(str(exc))
    except (DocatError, PdfError) as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
