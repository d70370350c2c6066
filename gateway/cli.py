"""Command line: `python -m gateway run` and `python -m gateway scan FILE`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from infra.config import Settings
from infra.errors import ConfigError

log = logging.getLogger("gateway")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gateway", description="Redline leak-inspection gateway."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="serve webhooks, API and worker in one process"
    )
    run.add_argument("--host", help="address to listen on (default: REDLINE_HOST)")
    run.add_argument(
        "--port", type=int, help="port to listen on (default: REDLINE_PORT)"
    )

    scan = commands.add_parser(
        "scan", help="detect on JSON-lines or text files and print predictions"
    )
    scan.add_argument("files", nargs="+", metavar="FILE", help="input file(s)")
    scan.add_argument("-o", "--output", metavar="OUT", help="write predictions to OUT")
    scan.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 if any input line is skipped",
    )
    bar = scan.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress", action="store_true", default=None, help="always show progress"
    )
    bar.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="never show progress",
    )
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def run(host: str | None, port: int | None) -> int:
    from waitress import serve

    from gateway.app import create_app
    from gateway.runtime import Runtime

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    runtime = Runtime.build(settings)
    app = create_app(runtime)
    runtime.worker.start(settings.workers)

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    host = host or settings.host
    port = port or settings.port
    log.info(
        "Redline gateway on http://%s:%d (data in %s)",
        host,
        port,
        settings.data_dir.resolve(),
    )
    try:
        serve(app, host=host, port=port, threads=8, ident="redline")
    except KeyboardInterrupt:
        pass
    finally:
        runtime.worker.stop()
        log.info("Redline gateway stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return run(args.host, args.port)
    from gateway.scan import main_scan

    return main_scan(args.files, args.output, args.strict, args.progress)
