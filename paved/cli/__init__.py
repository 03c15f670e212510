"""The paved command line: parses options, calls one core function, prints its result.

`PavedGroup.invoke` is the one place where errors and interruptions become
exit codes (see `paved.errors.ExitCode` and docs/commands.md).
"""

from __future__ import annotations

import datetime
import functools
import gc
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

import paved
from paved import config, output, scratch
from paved.cli import options
from paved.errors import ExitCode, PavedError, from_os_error


class PavedGroup(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # Known before anything can fail (a usage error of a subcommand included), so
        # that every error of a `--json` run is reported as JSON too. `ctx.meta` is
        # shared by the contexts of the subcommands.
        ctx.meta[_JSON_ERRORS] = "--json" in args[:args.index("--") if "--" in args else None]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        as_json = bool(ctx.meta.get(_JSON_ERRORS))
        try:
            with warnings.catch_warnings():
                # copier's warnings (a missing `_external_data` file…) are each shown,
                # every time, as paved's one-line warnings instead of Python's two lines.
                warnings.filterwarnings("always", category=UserWarning, module=r"copier(\.|$)")
                warnings.showwarning = functools.partial(_show_warning, warnings.showwarning)
                result = super().invoke(ctx)
        except PavedError as error:
            output.error(str(error), code=error.code, as_json=as_json)
            raise typer.Exit(error.exit_code) from error
        except (KeyboardInterrupt, typer.Abort) as error:
            output.error("interrupted; nothing was left half-written", code="interrupted",
                         as_json=as_json)
            raise typer.Exit(ExitCode.INTERRUPTED) from error
        except typer.Exit:
            raise
        except typer.TyperException as error:
            # A usage error (exit 2): click prints the usage and the reason to stderr.
            if as_json and getattr(error, "exit_code", None) == ExitCode.USAGE:
                output.error_json(error.format_message(), code="usage")
            raise
        except BrokenPipeError as error:
            # Nobody reads our output any more: stop quietly, without a crash log.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(ExitCode.BROKEN_PIPE) from error
        except Exception as error:
            # A full disk or a missing permission is the machine's answer, not a bug.
            host = from_os_error(error) if isinstance(error, OSError) else None
            if host is not None:
                output.error(str(host), code=host.code, as_json=as_json)
                raise typer.Exit(host.exit_code) from error
            log = _write_crash_log()
            output.error(f"internal error: {type(error).__name__}: {error}. This is a bug in "
                         f"paved; the traceback is in {log}", code="internal", as_json=as_json)
            raise typer.Exit(ExitCode.INTERNAL) from error
        # Outcomes that are not errors (conflicts left, drift found) carry their own code.
        code = getattr(result, "exit_code", ExitCode.OK)
        if code != ExitCode.OK:
            raise typer.Exit(code)
        return result


_JSON_ERRORS = "paved.json_errors"


def _show_warning(others: Callable[..., None], message: Warning | str,
                  category: type[Warning], filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
    """copier's warnings through paved's output; any other as Python shows it."""
    if category.__module__.partition(".")[0] != "copier":
        others(message, category, filename, lineno, file, line)
        return
    output.warning(f"{message} ({category.__name__})")


def _write_crash_log() -> str:
    directory = config.cache_dir() / "crash"
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"crash-{stamp}.log"
        path.write_text(f"paved {paved.__version__}\n{traceback.format_exc()}", encoding="utf-8")
        return str(path)
    except OSError:
        return "(no crash log: the cache directory is not writable)"


app = typer.Typer(
    cls=PavedGroup,
    name="paved",
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    epilog=options.exit_codes(*options.OUTCOMES),
    help="""A paved road for services: render production-ready services from golden-path
    templates and keep every generated repo in step as the templates evolve.

    \b
    Examples:
      paved list
      paved new service payments-api --defaults --data owner=team-payments
      paved update --dry-run
      paved status --check
    """,
)


def _version(value: bool) -> None:
    if value:
        output.emit(f"paved {paved.__version__}")
        raise typer.Exit()


def _no_colour(value: bool) -> None:
    # One switch for everything that colours: rich, prompt_toolkit, and worker processes.
    if value:
        os.environ["NO_COLOR"] = "1"


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print paved's version and exit.")] = False,
    no_colour: Annotated[bool, typer.Option(
        "--no-color", callback=_no_colour, is_eager=True,
        help="No colour (as NO_COLOR=1 does; colour is also off when not on a "
             "terminal).")] = False,
) -> None:
    pass


def _register() -> None:
    from paved.cli import adopt as adopt_command
    from paved.cli import check as check_command
    from paved.cli import fleet as fleet_command
    from paved.cli import layer as layer_command
    from paved.cli import list as list_command
    from paved.cli import new as new_command
    from paved.cli import restore as restore_command
    from paved.cli import schema as schema_command
    from paved.cli import status as status_command
    from paved.cli import template as template_command
    from paved.cli import update as update_command

    new_command.register(app)
    list_command.register(app)
    check_command.register(app)
    update_command.register(app)
    status_command.register(app)
    layer_command.register(app)
    adopt_command.register(app)
    restore_command.register(app)
    template_command.register(app)
    fleet_command.register(app)
    schema_command.register(app)


_register()


def _terminate(signum: int, frame: object) -> NoReturn:
    # SIGTERM unwinds like Ctrl-C, so temporary work is removed on the way out.
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    # Temporary files (ours, copier's) go to a scratch area the next run sweeps if this
    # one is killed, not to /tmp where nobody would (issue 21, item 18).
    scratch.use_for_temporary_files()
    try:
        app()
    finally:
        # Python's exit ends with garbage collections that walk every object still
        # alive: after a render, all that copier, pydantic and Jinja built (~60 ms). The
        # process is ending, so they are moved out of the collector's sight instead.
        # Exit handlers, temporary-directory clean-up and flushing still run as usual.
        gc.freeze()
