"""Entry point of the ``nerloop`` command."""

from __future__ import annotations

import sys

import typer

from nerloop import __version__
from nerloop.cli import al, cycle, db, demo, gazetteer, generate, label_studio, logs, model, serve, tag, train
from nerloop.cli.output import EXIT_INPUT, exit_code, one_line

app = typer.Typer(
    name="nerloop",
    help="Turn CSV gazetteers into domain NER models and keep improving them from real query logs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)
app.add_typer(gazetteer.app, name="gazetteer")
app.add_typer(logs.app, name="logs")
app.command("generate")(generate.generate)
app.command("tag")(tag.tag)
app.command("resolve")(tag.resolve)
app.command("eval")(tag.evaluate)
app.command("train")(train.train)
app.add_typer(db.app, name="db")
al.app.command("push")(label_studio.push)
al.app.command("pull")(label_studio.pull)
app.add_typer(al.app, name="al")
app.add_typer(model.app, name="model")
app.command("cycle")(cycle.cycle)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)


def _version(value: bool) -> None:
    if value:
        print(f"nerloop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """nerloop: gazetteers → synthetic training data → NER models → active learning."""


def main() -> None:
    """Run the CLI; a usage error (a bad flag value, an unknown option) is one line on stderr, exit 2.

    Typer would draw a multi-line box; scripts and cron mails want the one line. Errors inside a
    command are worded and given their exit code by ``nerloop.cli.output.OUTCOMES``.
    """
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # typer's (vendored) click usage errors
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help, as before
            print(message, file=sys.stderr)
        else:
            ctx = getattr(exc, "ctx", None)
            print(one_line(f"error: {message} (see {ctx.command_path if ctx else 'nerloop'} --help)"), file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", EXIT_INPUT))  # click's usage errors carry their code (2)
    except typer.Abort as exc:
        sys.exit(exit_code(exc))
    sys.exit(code if isinstance(code, int) else 0)
