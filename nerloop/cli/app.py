"""Entry point of the ``nerloop`` command."""

from __future__ import annotations

import typer

from nerloop import __version__
from nerloop.cli import gazetteer, generate, tag, train

app = typer.Typer(
    name="nerloop",
    help="Turn CSV gazetteers into domain NER models and keep improving them from real query logs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)
app.add_typer(gazetteer.app, name="gazetteer")
app.command("generate")(generate.generate)
app.command("tag")(tag.tag)
app.command("resolve")(tag.resolve)
app.command("eval")(tag.evaluate)
app.command("train")(train.train)


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
    app()
