"""The ``newsgraph`` command: init, build, validate, serve, publish, link, export.

Each command finds its project (``newsgraph.toml`` here or in a parent folder,
or ``--project``), parses its options into ``Settings`` and hands over to the
module that owns that step; nothing here knows how the step is done.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from newsgraph.config import Settings, SettingsError, load_settings
from newsgraph.project import (
    PROJECT_FILE,
    ProjectError,
    init_project,
    locate_project,
    read_project_file,
)


@dataclass
class _Options:
    """The group's options; settings are made when a command knows what it needs."""

    project: Path | None
    base: str | None
    dist: Path | None


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _settings(ctx: click.Context, need_project: bool = True) -> Settings:
    """Settings for this run: defaults < newsgraph.toml < NEWSGRAPH_* < options.

    Prints the project folder it uses. Without a project, exits 2 with one line,
    unless the command can run on explicit data alone (``need_project=False``).
    """
    options: _Options = ctx.obj
    try:
        try:
            root: Path | None = locate_project(options.project)
        except ProjectError:
            if need_project or options.project is not None:
                raise
            root = None
        click.echo(f"project: {root}" if root else
                   "project: none found; using the default settings", err=True)
        return load_settings(root, read_project_file(root) if root else None,
                             base=options.base, dist=options.dist)
    except (ProjectError, SettingsError) as exc:
        _fail(str(exc))


def _set_project(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.obj.project = value


def project_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--project DIR`` after the command's name too (``newsgraph build --project x``)."""
    return click.option("--project", type=click.Path(path_type=Path),
                        expose_value=False, callback=_set_project, is_eager=True,
                        help="The project folder (holding newsgraph.toml).")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", type=click.Path(path_type=Path),
              help="The project folder, holding newsgraph.toml (default: the working "
                   "directory or the nearest parent that holds one).")
@click.option("--root", type=click.Path(path_type=Path), hidden=True,
              help="Old name of --project.")
@click.option("--base", help="Base IRI of the dataset (default: newsgraph.toml's, else "
                             "https://w3id.org/newsgraph/).")
@click.option("--dist", type=click.Path(path_type=Path),
              help="Where the build publishes (default PROJECT/dist).")
@click.version_option(package_name="newsgraph")
@click.pass_context
def main(ctx: click.Context, project: Path | None, root: Path | None, base: str | None,
         dist: Path | None) -> None:
    """Publish news articles as a validated knowledge graph."""
    ctx.obj = _Options(project=project or root, base=base, dist=dist)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
def init(folder: Path) -> None:
    """Start a newsroom's project in FOLDER: newsgraph.toml, seeds/ with an example
    article and its register, and a README for curators. Never overwrites a file."""
    try:
        written, kept = init_project(folder)
    except ProjectError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write the project into {folder.resolve()}: {exc.strerror or exc}")
    root = folder.resolve()
    click.echo(f"project: {root}", err=True)
    for rel in written:
        click.echo(f"wrote {rel.as_posix()}", err=True)
    for rel in kept:
        click.echo(f"kept your {rel.as_posix()}", err=True)
    click.echo(f"next: set base and publisher in {root / PROJECT_FILE}, then run "
               "`newsgraph validate` in that folder", err=True)


def _workers_options(command: Callable[..., None]) -> Callable[..., None]:
    """--jobs, --executor and --scheduler: where articles are validated."""
    command = click.option(
        "--scheduler", metavar="ADDR",
        help="The Dask scheduler's address, such as tcp://10.0.0.5:8786 "
             "(with --executor dask).")(command)
    command = click.option(
        "--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
        help="local: worker processes on this machine; dask: the workers of a Dask "
             "distributed cluster (pip install 'newsgraph[cluster]').")(command)
    return click.option(
        "--jobs", "-j", type=click.IntRange(min=1), default=None,
        help="Worker processes validating articles (default: the number of cores; "
             "1: none). The output is the same for any number.")(command)


def _run_build(ctx: click.Context, write: bool, jobs: int | None, executor: str,
               scheduler: str | None) -> None:
    from newsgraph.pipeline.build import run_build
    from newsgraph.pipeline.workers import default_jobs

    sys.exit(run_build(_settings(ctx), write=write, jobs=jobs or default_jobs(),
                       executor=executor, scheduler=scheduler))


@main.command()
@project_option
@_workers_options
@click.pass_context
def build(ctx: click.Context, jobs: int | None, executor: str, scheduler: str | None) -> None:
    """Read seeds/, map, validate, and publish the dumps and store to dist/."""
    _run_build(ctx, True, jobs, executor, scheduler)


@main.command()
@project_option
@_workers_options
@click.pass_context
def validate(ctx: click.Context, jobs: int | None, executor: str, scheduler: str | None
             ) -> None:
    """Run every check of the build without writing anything."""
    _run_build(ctx, False, jobs, executor, scheduler)


@main.command()
@project_option
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
@click.argument("article_dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True,
              help="yaml: the annotation format, every proposal marked for review; "
                   "json: the same proposals as records for tools.")
@click.option("--write", is_flag=True,
              help="Write ARTICLE_DIR/annotations.yaml, only if it is missing or holds "
                   "only the article: block (never over curated work).")
@project_option
@click.pass_context
def draft(ctx: click.Context, article_dir: Path, fmt: str, write: bool) -> None:
    """Propose the annotations of an article that has only article.txt and its
    article: block: mentions, offices, quotations, dates and meetings, each marked
    `review: proposed`, which `validate` refuses until a curator has looked."""
    from newsgraph.curation.draft import DraftError, as_json, as_yaml
    from newsgraph.curation.draft import draft as make_draft
    from newsgraph.pipeline.annotations import ARTICLE_ANNOTATIONS

    if write and fmt != "yaml":
        raise click.UsageError("--write writes the annotation format; drop --format json")
    if not article_dir.is_dir():
        _fail(f"{article_dir} is not a folder (give the article's folder, holding article.txt)")
    settings = _settings(ctx)
    try:
        article, proposals, register, notes = make_draft(article_dir, settings.seeds)
    except DraftError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read {article_dir}: {exc.strerror or exc}")
    for note in notes:
        click.echo(note, err=True)
    out = as_json(proposals) if fmt == "json" else as_yaml(article, proposals, register)
    if not write:
        click.echo(out, nl=False)
        return
    target = article_dir / ARTICLE_ANNOTATIONS
    if article.annotations_exist and not article.only_meta:
        _fail(f"{target} holds more than the article: block: not overwritten (run without "
              "--write to see the draft)")
    try:
        target.write_text(out, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}")
    click.echo(f"wrote {target} with {len(proposals)} proposals, each marked "
               "`review: proposed`", err=True)


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
@click.option("--store", "store_url", metavar="URL",
              help="Read the data from this external SPARQL store's query endpoint, into "
                   "which `newsgraph publish --to URL` loaded the release of --data.")
@click.option("--dialect", "dialect_name", default="auto", show_default=True,
              type=click.Choice(["auto", "oxigraph", "virtuoso", "generic"]),
              help="The store's engine (auto: recognised by its Server header).")
@click.option("--gsp", "gsp_url", metavar="URL",
              help="The store's Graph Store Protocol endpoint (default: the dialect's).")
@click.option("--credentials", type=click.Path(dir_okay=False, path_type=Path),
              help="A private file holding user:password for the store (default: "
                   "NEWSGRAPH_STORE_CREDENTIALS, or NEWSGRAPH_STORE_USER and "
                   "NEWSGRAPH_STORE_PASSWORD; none: reads are anonymous).")
@click.option("--max-rows", type=click.IntRange(min=1),
              help="The store's cap on the rows of an answer, when not the engine's default "
                   "(Virtuoso: ResultSetMaxRows, 10000).")
@project_option
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, data: Path | None, workers: int,
          serve_base: str | None, no_build: bool, sparql_timeout: float | None,
          service_allow: tuple[str, ...], store_url: str | None, dialect_name: str,
          gsp_url: str | None, credentials: Path | None, max_rows: int | None) -> None:
    """Serve the dataset: linked data, HTML pages and the SPARQL endpoint."""
    from newsgraph.server.serve import StoreOptions, has_dataset, run_server

    if serve_base is not None and not serve_base.endswith("/"):
        serve_base += "/"
    # with --data nothing of a project is needed; one found still gives its settings
    settings = _settings(ctx, need_project=data is None).with_overrides(
        base=serve_base,
        sparql_timeout_s=sparql_timeout,
        service_allow_list=tuple(service_allow) or None,
    )
    # a base the user gave (here or to the group) must agree with the release's
    asked_base = settings.base if (serve_base or ctx.obj.base) else None
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
    store = None
    if store_url is not None:
        store = StoreOptions(store_url, dialect_name, gsp_url, credentials, max_rows)
    sys.exit(run_server(settings, host=host, port=port, data=data, workers=workers,
                        asked_base=asked_base, store=store))



@main.command()
@click.option("--to", "to_url", required=True, metavar="URL",
              help="The store's SPARQL query endpoint (Oxigraph: http://HOST:7878/query; "
                   "Virtuoso: http://HOST:8890/sparql).")
@click.option("--gsp", "gsp_url", metavar="URL",
              help="Its Graph Store Protocol endpoint (default: the dialect's, on the same host).")
@click.option("--update", "update_url", metavar="URL",
              help="Its SPARQL update endpoint (default: the dialect's, on the same host).")
@click.option("--dialect", "dialect_name", default="auto", show_default=True,
              type=click.Choice(["auto", "oxigraph", "virtuoso", "generic"]),
              help="The engine (auto: recognised by its Server header).")
@click.option("--release", "release_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The release to publish (default: the project's dist/).")
@click.option("--credentials", type=click.Path(dir_okay=False, path_type=Path),
              help="A private file holding user:password for writes (default: "
                   "NEWSGRAPH_STORE_CREDENTIALS, or NEWSGRAPH_STORE_USER and "
                   "NEWSGRAPH_STORE_PASSWORD).")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to remember what was loaded (default: one file per store under "
                   "$XDG_STATE_HOME/newsgraph/publish/).")
@click.option("--timeout", type=float, default=300.0, show_default=True,
              help="Seconds to wait for the store's answer to one request.")
@click.option("--batch-quads", type=click.IntRange(min=1),
              help="Quads sent in one bulk request (default: the dialect's).")
@click.option("--max-rows", type=click.IntRange(min=1),
              help="The store's cap on the rows of an answer, when not the engine's default "
                   "(Virtuoso: ResultSetMaxRows, 10000).")
@project_option
@click.pass_context
def publish(ctx: click.Context, to_url: str, gsp_url: str | None, update_url: str | None,
            dialect_name: str, release_dir: Path | None, credentials: Path | None,
            state_path: Path | None, timeout: float, batch_quads: int | None,
            max_rows: int | None) -> None:
    """Load a built release into an external SPARQL store and verify it there.

    Each graph replaces the store's graph of its name (never appended to);
    graphs that did not change since the last run are not sent again. Exit
    status: 0 published and verified, 1 the store's counts differ from the
    release's, 2 the release or the store could not be used.
    """
    from newsgraph.external import ExternalStoreError, dialect_named, find_credentials, open_client
    from newsgraph.external.publish import run_publish

    folder = release_dir if release_dir is not None else _settings(ctx).dist_dir
    try:
        client = open_client(
            to_url, dialect=None if dialect_name == "auto" else dialect_named(dialect_name),
            update_url=update_url, gsp_url=gsp_url, credentials=find_credentials(credentials),
            timeout_s=timeout, max_rows=max_rows)
    except ExternalStoreError as exc:
        _fail(str(exc))
    sys.exit(run_publish(folder.resolve(), client, state_path,
                         lambda line: click.echo(line, err=True), batch_quads))

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
@project_option
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


@export.command("site")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--data", type=click.Path(exists=True, path_type=Path),
              help="A built dist/ folder (default: the project's).")
@click.option("--listen", default="80", show_default=True,
              help="What the generated nginx server block listens on.")
@click.option("--server-name", default="_", show_default=True,
              help="The server_name of the generated nginx server block.")
@project_option
@click.pass_context
def export_site_command(ctx: click.Context, out: Path, data: Path | None, listen: str,
                        server_name: str) -> None:
    """Write the release as a static linked-data site into OUT, for nginx.

    Every description in every format and every page as files, in a folder per
    release (OUT/releases/ID, never changed; OUT/current points at the newest),
    and OUT/nginx.conf doing the 303s and content negotiation as `serve` does.
    """
    from newsgraph.server.static_site import ExportError, export_site

    settings = _settings(ctx, need_project=data is None)
    source = data if data is not None else settings.dist_dir
    try:
        done = export_site(source, out, settings, listen=listen, server_name=server_name)
    except ExportError as exc:
        _fail(str(exc))
    except Exception as exc:  # a release that cannot be opened, read or verified
        _fail(f"cannot export {source}: {exc}")
    click.echo(f"wrote {done.files} files of release {done.release_id} to {done.folder}",
               err=True)
    click.echo(f"nginx configuration: {done.config}", err=True)


@export.command("quickstatements")
@click.option("--data", type=click.Path(exists=True, path_type=Path),
              help="A built dist/ folder or an N-Quads/TriG file (default: the built dist/).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the commands here (default: standard output).")
@click.option("--instance-of", metavar="QID",
              help="Class for P31 of each new item (e.g. the item for 'meeting'), checked by you.")
@project_option
@click.pass_context
def export_quickstatements(ctx: click.Context, data: Path | None, output: Path | None,
                           instance_of: str | None) -> None:
    """Meetings as QuickStatements (P710, P276, P585, reference URL S854) for Wikidata editors.

    Only entities that have a Wikidata link appear; what was left out, and why,
    goes to standard error for the editor's review.
    """
    from newsgraph.curation.quickstatements import run_export

    settings = _settings(ctx, need_project=data is None)
    sys.exit(run_export(settings, data=data, output=output, instance_of=instance_of))
