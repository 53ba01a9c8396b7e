"""The ``newsgraph`` command: build, validate, serve, link, export.

Each command parses its options into ``Settings`` and hands over to the module
that owns that step; nothing here knows how the step is done.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsgraph.config import Settings, load_settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder with seeds/, ontology/ and shapes/ (default: found from here).")
@click.option("--base", help="Base IRI of the dataset (default https://w3id.org/newsgraph/).")
@click.option("--dist", type=click.Path(path_type=Path),
              help="Where the build publishes (default ROOT/dist).")
@click.version_option(package_name="newsgraph")
@click.pass_context
def main(ctx: click.Context, root: Path | None, base: str | None, dist: Path | None) -> None:
    """Publish news articles as a validated knowledge graph."""
    ctx.obj = load_settings(root=root.resolve() if root else None, base=base, dist=dist)


@main.command()
@click.pass_context
def build(ctx: click.Context) -> None:
    """Read seeds/, map, validate, and publish the dumps and store to dist/."""
    from newsgraph.pipeline.build import run_build

    sys.exit(run_build(_settings(ctx), write=True))


@main.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Run every check of the build without writing anything."""
    from newsgraph.pipeline.build import run_build

    sys.exit(run_build(_settings(ctx), write=False))


@main.command()
@click.pass_context
def coverage(ctx: click.Context) -> None:
    """Print the sentence-by-sentence coverage table (Markdown) of every article."""
    from newsgraph.curation.coverage import coverage_markdown
    from newsgraph.pipeline.annotations import AnnotationError, load_corpus

    try:
        corpus = load_corpus(_settings(ctx).seeds)
    except AnnotationError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    click.echo(coverage_markdown(corpus))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--data", type=click.Path(exists=True, path_type=Path),
              help="Data to serve: a built dist/ folder (default) or an N-Quads/TriG/Turtle file.")
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--base", "serve_base",
              help="Base IRI the served paths stand for: a release's own (it is refused if "
                   "it disagrees); for a single file, default the group's --base.")
@click.option("--no-build", is_flag=True, help="Do not build dist/ first when it is missing.")
@click.option("--sparql-timeout", type=float, help="Seconds a SPARQL query may run (default 10).")
@click.option("--service-allow", multiple=True,
              help="A SERVICE endpoint queries may call (repeatable; none by default).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, data: Path | None, workers: int,
          serve_base: str | None, no_build: bool, sparql_timeout: float | None,
          service_allow: tuple[str, ...]) -> None:
    """Serve the dataset: linked data, HTML pages and the SPARQL endpoint."""
    from newsgraph.server.serve import has_dataset, run_server

    if serve_base is not None and not serve_base.endswith("/"):
        serve_base += "/"
    # a base the user gave (here or to the group) must agree with the release's
    group_base = ctx.parent.params.get("base") if ctx.parent else None
    asked_base = serve_base or (_settings(ctx).base if group_base else None)
    settings = _settings(ctx).with_overrides(
        base=serve_base,
        sparql_timeout_s=sparql_timeout,
        service_allow_list=tuple(service_allow) or None,
    )
    source = data if data is not None else settings.dist_dir
    if data is None and not has_dataset(source):
        if no_build:
            click.echo(f"error: {source} holds no built dataset; run `newsgraph build` "
                       "or drop --no-build", err=True)
            sys.exit(2)
        click.echo(f"{source} holds no built dataset yet: building it first.", err=True)
        from newsgraph.pipeline.build import run_build

        status = run_build(settings, write=True)
        if status != 0:
            click.echo("error: the build failed, so there is nothing to serve", err=True)
            sys.exit(status)
    sys.exit(run_server(settings, host=host, port=port, data=data, workers=workers,
                        asked_base=asked_base))


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--check", is_flag=True,
              help="Re-verify stored links (label, type, redirects, deletions); report drift.")
@click.option("--accept", "accepts", multiple=True, metavar="ID=QID",
              help="Write this link after verifying it on Wikidata (repeatable).")
@click.option("--interactive", "-i", is_flag=True,
              help="Ask which candidate to accept (default when run on a terminal).")
@click.option("--replay", type=click.Path(file_okay=False, path_type=Path),
              help="Answer from recorded Wikidata responses in this folder, not the network.")
@click.option("--wikidata-url", help="Wikidata's address (default https://www.wikidata.org).")
@click.pass_context
def link(ctx: click.Context, ids: tuple[str, ...], check: bool, accepts: tuple[str, ...],
         interactive: bool, replay: Path | None, wikidata_url: str | None) -> None:
    """Find Wikidata candidates for entities without a link (or IDS), or check the links.

    Prints a ranked table with the evidence for each candidate; writes
    `wikidata: Q…` into seeds/entities.yaml only for a candidate you accept.
    Exit status: 0 fine, 1 drift found or a link refused, 2 Wikidata unreachable
    or the annotations invalid (nothing changed).
    """
    from newsgraph.curation.wikidata.link import parse_accepts, run_check, run_link

    settings = _settings(ctx).with_overrides(wikidata_url=wikidata_url)
    if check:
        if ids or accepts:
            raise click.UsageError("--check re-verifies every stored link; give no IDS or --accept")
        sys.exit(run_check(settings, replay=replay, echo=click.echo))
    try:
        accepted = parse_accepts(accepts)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    interactive = interactive or (sys.stdin.isatty() and not accepted)
    sys.exit(run_link(settings, ids=ids, accepts=accepted, interactive=interactive,
                      replay=replay, echo=click.echo,
                      prompt=lambda text: click.prompt(text, default="s", show_default=False)))


@main.group()
def export() -> None:
    """Export the dataset for other tools."""


@export.command("quickstatements")
@click.option("--data", type=click.Path(exists=True, path_type=Path),
              help="A built dist/ folder or an N-Quads/TriG file (default: the built dist/).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the commands here (default: standard output).")
@click.option("--instance-of", metavar="QID",
              help="Class for P31 of each new item (e.g. the item for 'meeting'), checked by you.")
@click.pass_context
def export_quickstatements(ctx: click.Context, data: Path | None, output: Path | None,
                           instance_of: str | None) -> None:
    """Meetings as QuickStatements (P710, P276, P585, reference URL S854) for Wikidata editors.

    Only entities that have a Wikidata link appear; what was left out, and why,
    goes to standard error for the editor's review.
    """
    from newsgraph.curation.quickstatements import run_export

    sys.exit(run_export(_settings(ctx), data=data, output=output, instance_of=instance_of))
