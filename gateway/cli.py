"""Command line: `python -m gateway run`, `scan FILE`, `eval`, `rules` and `install wecom`."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from infra.config import Settings, unknown_variables
from infra.datadir import DataDirLock, prepare_data_dir
from infra.errors import ConfigError, InfraError

if TYPE_CHECKING:
    from gateway.runtime import Runtime
    from gateway.worker import Worker

log = logging.getLogger("gateway")


class StartupFailed(Exception):
    """The gateway cannot start; the message names the cause and the fix."""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is outside 1..65535")
    return value


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
        "--port", type=_port, help="port to listen on (default: REDLINE_PORT)"
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
    scan.add_argument(
        "--redact-dir",
        metavar="DIR",
        help="write a redacted copy of each image or PDF to DIR",
    )

    evaluate = commands.add_parser(
        "eval", help="score the detectors on a labelled corpus (JSON lines with labels)"
    )
    evaluate.add_argument("corpus", metavar="CORPUS", help="labelled corpus file")
    evaluate.add_argument(
        "--json", action="store_true", help="print the counts as JSON after the tables"
    )

    rules = commands.add_parser(
        "rules", help="list every identification and phrase rule"
    )
    rules.add_argument(
        "--false-positives",
        action="store_true",
        help="list instead, per rule, the findings in cases closed as not a leak "
        "(from the ledger in REDLINE_DATA_DIR)",
    )

    digest = commands.add_parser(
        "digest",
        help="send the daily digest or weekly summary now (for cron), and "
        "whatever alerts and escalations are due",
    )
    digest.add_argument(
        "period",
        choices=["daily", "weekly", "due"],
        help="daily: medium cases of the last 24 hours; weekly: the last 7 days' "
        "counts and training focus; due: only alerts, escalations and training",
    )

    install = commands.add_parser(
        "install", help="print the callback settings to paste into a platform"
    )
    install.add_argument("platform", choices=["wecom"], help="platform to connect")
    install.add_argument(
        "--url",
        metavar="PUBLIC_BASE_URL",
        help="public base URL of the gateway (default: http://REDLINE_HOST:REDLINE_PORT)",
    )
    install.add_argument("--corp-id", help="WeCom CorpID to store with the new app")
    install.add_argument("--secret", help="app Secret to store, for warnings and media")
    install.add_argument(
        "--agent-id", type=_positive_int, help="app AgentId to store, for warnings"
    )
    install.add_argument(
        "--app", metavar="NAME", help="show (and wait for) only the app NAME"
    )
    install.add_argument(
        "--wait",
        action="store_true",
        help="then wait until the gateway has verified WeCom's URL check; exit "
        "status 1 on timeout",
    )
    install.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="how long --wait waits, in seconds (default: 600)",
    )
    return parser


def _positive_seconds(text: str) -> float:
    """Parse a positive, finite number of seconds, such as a wait timeout."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def _positive_int(text: str) -> int:
    """Parse a positive whole number, such as a WeCom AgentId."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


# Libraries that log request URLs, headers or bodies at DEBUG (and Twilio's
# client at INFO): URLs carry access tokens and secrets in their query, and
# bodies carry message text. They log at WARNING and above whatever level
# REDLINE_LOG_LEVEL sets.
QUIET_LOGGERS = (
    "urllib3",
    "requests",
    "botocore",
    "boto3",
    "s3transfer",
    "wechatpy",
    "twilio",
    "slack_sdk",
)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def run(host: str | None, port: int | None) -> int:
    """Serve webhooks, the API and the worker until SIGTERM or Ctrl-C.

    Return the exit status: 0 after a clean stop, 1 when a second interrupt
    cut the wait for running jobs short, 2 when the gateway cannot start.
    """
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    unknown = unknown_variables(os.environ)
    if unknown:
        log.warning(
            "ignoring unknown variable(s) %s; the README lists the variables "
            "Redline reads",
            ", ".join(unknown),
        )
    host = host or settings.host
    port = port or settings.port
    lock = DataDirLock(settings.data_dir)
    try:
        runtime, server = _start(settings, lock, host, port)
    except StartupFailed as error:
        lock.release()
        print(f"startup error: {error}", file=sys.stderr)
        return 2

    recovered = runtime.queue.recover_orphans()
    if recovered:
        log.warning(
            "queued %d job(s) again that a previous gateway left running", recovered
        )
    runtime.worker.start(settings.workers)
    if runtime.scheduler is not None and settings.alerts.scheduler_seconds:
        runtime.scheduler.start()

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    log.info(
        "Redline gateway on http://%s:%d (data in %s)",
        host,
        port,
        settings.data_dir.resolve(),
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if runtime.scheduler is not None:
            runtime.scheduler.stop()
        status = _stop_worker(runtime.worker)
        signal.signal(signal.SIGTERM, previous)
        runtime.database.close()
        lock.release()
    return status


def _start(
    settings: Settings, lock: DataDirLock, host: str, port: int
) -> tuple[Runtime, Any]:
    """Lock the data folder, build the runtime and bind the listening sockets."""
    from waitress.server import create_server

    from gateway.app import create_app
    from gateway.runtime import Runtime

    try:
        prepare_data_dir(settings.data_dir)
        lock.acquire()
        runtime = Runtime.build(settings)
    except InfraError as error:
        raise StartupFailed(str(error)) from None
    except OSError as error:
        where = f" on {error.filename}" if error.filename else ""
        raise StartupFailed(
            f"{error.strerror or type(error).__name__}{where}; check the data "
            f"folder {settings.data_dir} given by REDLINE_DATA_DIR"
        ) from None
    try:
        sockets = bind_sockets(host, port)
    except OSError as error:
        runtime.database.close()
        raise StartupFailed(_listen_problem(error, host, port)) from None
    proxy: dict[str, Any] = {}
    if settings.trusted_proxy:
        # Without these, waitress drops every X-Forwarded-* header.
        proxy = {
            "trusted_proxy": settings.trusted_proxy,
            "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-host"},
        }
    server = create_server(
        create_app(runtime), sockets=sockets, threads=8, ident="redline", **proxy
    )
    return runtime, server


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Bind one TCP socket per address of `host`, closing them all on failure.

    Binding here rather than in waitress lets a failure close its socket
    and report the cause, because waitress leaves the socket open.
    """
    addresses = socket.getaddrinfo(
        host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
    )
    bound: list[socket.socket] = []
    seen: set[Any] = set()
    try:
        for family, kind, protocol, _, address in addresses:
            if address in seen:
                continue
            seen.add(address)
            sock = socket.socket(family, kind, protocol)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError:
        for sock in bound:
            sock.close()
        raise
    return bound


def _listen_problem(error: OSError, host: str, port: int) -> str:
    """Describe why the server cannot listen on host:port, with the fix."""
    if isinstance(error, socket.gaierror):
        return (
            f"cannot resolve host {host!r} ({error.strerror}); set REDLINE_HOST "
            "(or --host) to an address such as 127.0.0.1"
        )
    code = error.errno
    if code == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use; stop the process using it "
            "or set REDLINE_PORT (or --port) to a free port"
        )
    if code == errno.EADDRNOTAVAIL:
        return (
            f"address {host} is not one of this machine's addresses; set "
            "REDLINE_HOST (or --host) to one of them, such as 127.0.0.1"
        )
    if code == errno.EACCES:
        return (
            f"no permission to listen on port {port}; set REDLINE_PORT (or "
            "--port) to a port above 1023"
        )
    return (
        f"cannot listen on {host}:{port} ({error.strerror}); check REDLINE_HOST "
        "and REDLINE_PORT"
    )


def _stop_worker(worker: Worker) -> int:
    """Stop the worker, returning 1 if a second interrupt cut the wait short."""
    try:
        worker.stop()
    except KeyboardInterrupt:
        log.warning(
            "Redline gateway stopped without waiting for %d running job(s); they "
            "run again at the next start",
            worker.running_count(),
        )
        return 1
    log.info("Redline gateway stopped")
    return 0


def evaluate_corpus(corpus: str, as_json: bool) -> int:
    """Print the entity, behaviour and severity tables for a labelled corpus."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    from detectors.engine import Detector
    from gateway.evaluate import evaluate_file, render

    path = Path(corpus)
    if not path.is_file():
        print(
            f"{corpus}: no such file; give a labelled JSON-lines corpus",
            file=sys.stderr,
        )
        return 2
    scores = evaluate_file(path, Detector(), sys.stderr)
    if scores.interactions == 0:
        print(
            f"{corpus}: no labelled interaction to score; each line needs a "
            '"labels" object with "entities", "behaviours" and "severity"',
            file=sys.stderr,
        )
        return 1
    print(render(scores))
    if as_json:
        print(json.dumps(asdict(scores)))
    return 0


def list_rules() -> int:
    """Print every identification rule and phrase rule, one per line, with counts."""
    from detectors.phrases.rules import RULES
    from detectors.recognizers import catalogue

    identification = catalogue()
    for rule in identification:
        print(
            f"{rule['rule']:48} {rule['type']:24} {rule['form']:8} {rule['description']}"
        )
    for phrase in RULES:
        print(f"phrase.{phrase.name:41} {'RISKY_PHRASE':24} {phrase.behaviour}")
    print(
        f"{len(identification)} identification rules, {len(RULES)} phrase rules",
        file=sys.stderr,
    )
    return 0


def list_false_positives() -> int:
    """Print, per rule, its findings in false-positive cases and in all cases."""
    from infra.sqlite import Database, SqliteLedger

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    path = settings.data_dir / "redline.db"
    if not path.is_file():
        print(
            f"no ledger at {path}; set REDLINE_DATA_DIR to the gateway's",
            file=sys.stderr,
        )
        return 2
    database = Database(path)
    try:
        rows = SqliteLedger(database).false_positives_by_rule()
    finally:
        database.close()
    print(f"{'rule':48} {'type':24} {'false positives':>15} {'findings':>9}")
    for row in rows:
        print(
            f"{row['rule']:48} {row['type']:24} {row['false_positives']:>15} "
            f"{row['findings']:>9}"
        )
    print(f"{len(rows)} rule(s) with false positives", file=sys.stderr)
    return 0


def install(args: argparse.Namespace) -> int:
    """Print (and create when missing) the WeCom callback settings, then maybe wait."""
    from gateway.wecom import DEFAULT_WAIT_SECONDS, install_wecom

    if args.timeout is not None and not args.wait:
        print("--timeout sets how long --wait waits; add --wait", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    wait_seconds = None
    if args.wait:
        wait_seconds = args.timeout or DEFAULT_WAIT_SECONDS
    return install_wecom(
        settings,
        args.url,
        args.corp_id,
        args.secret,
        args.agent_id,
        app_name=args.app,
        wait_seconds=wait_seconds,
    )


def send_digest(period: str) -> int:
    """Run the disposal once from the command line; return the exit status."""
    from gateway.runtime import Runtime

    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        runtime = Runtime.build(settings)
    except InfraError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    disposal = runtime.disposal
    assert disposal is not None
    try:
        result = disposal.run_due()
        sent = []
        if period == "daily":
            sent = disposal.daily_digest()
        elif period == "weekly":
            sent = disposal.weekly_summary()
    finally:
        runtime.database.close()
    print(
        f"{result.alerted} case alert(s), {result.escalated} escalation(s), "
        f"{result.trained} training assignment(s)"
    )
    if period != "due":
        if sent:
            for alert in sent:
                print(f"sent: {alert.title}")
        else:
            print(
                f"no {period} digest to send: no cases in the period, or sent already"
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return run(args.host, args.port)
    if args.command == "eval":
        return evaluate_corpus(args.corpus, args.json)
    if args.command == "rules":
        if args.false_positives:
            return list_false_positives()
        return list_rules()
    if args.command == "install":
        return install(args)
    if args.command == "digest":
        return send_digest(args.period)
    from gateway.scan import main_scan

    return main_scan(
        args.files, args.output, args.strict, args.progress, args.redact_dir
    )
