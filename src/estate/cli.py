"""The `estate` command."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import pyotp
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import estate.db.models  # noqa: F401 - loads every domain, so new organizations get all their defaults
from estate.accounts import service as accounts
from estate.accounts.models import Account, OrganizationAccount
from estate.agents import service as agents
from estate.auth import apikeys
from estate.auth.permissions import ADMINISTRATOR, DEFAULT_ROLES
from estate.bootstrap import DEFAULT_ORGANIZATION, ensure_initial_data
from estate.dataload import demo, importer
from estate.db import backup
from estate.db.engine import WRITE_INTENT, make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.errors import DomainError
from estate.observe.logs import logging_config
from estate.orgs import service as orgs
from estate.orgs.models import Organization
from estate.reporting import formats as report_formats
from estate.reporting import service as report_service
from estate.reporting.definition import check_format
from estate.reporting.engine import tabulate
from estate.settings import get_settings

app = typer.Typer(help="Estate: an IT-estate server speaking the KACE SMA and i-doit APIs.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of the i-doit JSON-RPC face.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(org_app, name="org")
app.add_typer(apikey_app, name="apikey")
agent_app = typer.Typer(help="Agents: enrolment tokens and enrolled machines.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")
report_app = typer.Typer(help="Report definitions (docs/reporting.md) and reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")

OrgOption = Annotated[str, typer.Option("--org", help="Organization name")]


def _sessions() -> sessionmaker[Session]:
    """Every command's transaction takes the write lock when it begins, as requests that write do
    (decision 0204): a command beside a running server waits its turn instead of failing."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return make_session_factory(engine.execution_options(**{WRITE_INTENT: True}))


def _organization(db: Session, name: str) -> Organization:
    organization = orgs.find_by_name(db, name)
    if organization is None:
        raise typer.BadParameter(f"no organization named {name!r}", param_hint="--org")
    return organization


def _fail(error: DomainError) -> None:
    typer.echo(f"error: {error.message}", err=True)
    raise typer.Exit(code=2)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision."""
    _sessions()
    typer.echo("database is at the newest revision")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Server processes (default: ESTATE_WORKERS, else one per core)")
    ] = None,
) -> None:
    """Migrate, create the first organization and admin when the database is empty, and serve."""
    import uvicorn

    from estate.app import server_options

    settings = get_settings()
    workers = workers or settings.workers or available_cores()
    first = ensure_initial_data(_sessions(), settings)
    if first is not None:
        typer.echo(f"Created organization {DEFAULT_ORGANIZATION!r} with account 'admin'.")
        if first.admin_password:
            typer.echo(f"  admin password (shown once): {first.admin_password}")
        if first.idoit_apikey:
            typer.echo(f"  i-doit API key of {DEFAULT_ORGANIZATION!r} (shown once): {first.idoit_apikey}")
    with shared_metrics(workers):
        uvicorn.run(
            "estate.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **server_options(settings),
            log_config=logging_config(level=settings.log_level, log_format=settings.log_format),
            access_log=False,  # Estate writes one line per request itself (estate.observe)
        )


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


@contextmanager
def shared_metrics(workers: int) -> Iterator[None]:
    """Worker processes count into files of one folder so that /metrics answers for all of them
    (prometheus_client's multiprocess mode); the folder lives as long as the server. A folder set
    in PROMETHEUS_MULTIPROC_DIR is used as it is."""
    if workers == 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="estate-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


@user_app.command("create")
def user_create(
    login: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    org: OrgOption = DEFAULT_ORGANIZATION,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(DEFAULT_ROLES)} or a custom role")] = ADMINISTRATOR,
    full_name: Annotated[str | None, typer.Option("--full-name")] = None,
    email: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an account and make it a member of an organization."""
    try:
        with _sessions().begin() as db:
            organization = _organization(db, org)
            existing = accounts.find_account(db, login)
            if existing is not None:
                accounts.add_membership(db, account=existing, organization_id=organization.id, role_name=role)
            else:
                accounts.create_account(
                    db,
                    login=login,
                    password=password,
                    actor_account_id=None,
                    organization_id=organization.id,
                    role_name=role,
                    values={"full_name": full_name, "email": email},
                )
    except DomainError as error:
        _fail(error)
    typer.echo(f"account {login!r} is a member of {org!r} as {role!r}")


@user_app.command("passwd")
def user_passwd(
    login: str,
    password: Annotated[str | None, typer.Option(help="The new password; asked for (twice, not shown) when left out")]
    = None,
) -> None:
    """Set an account's password, the way to recover a lost admin password."""
    sessions = _sessions()
    with sessions() as db:
        if accounts.find_account(db, login) is None:
            raise typer.BadParameter(f"no account {login!r}", param_hint="LOGIN")
    if password is None:
        password = typer.prompt(f"New password of {login}", hide_input=True, confirmation_prompt=True)
    if not password:
        raise typer.BadParameter("the password must not be empty", param_hint="--password")
    with sessions.begin() as db:
        account = accounts.find_account(db, login)
        if account is None:  # deleted while the password was typed
            raise typer.BadParameter(f"no account {login!r}", param_hint="LOGIN")
        accounts.set_password(account, password)
    typer.echo(f"password of {login!r} changed")


@user_app.command("totp")
def user_totp(
    login: str, disable: Annotated[bool, typer.Option("--disable", help="Turn two-factor login off")] = False
) -> None:
    """Enrol an account in two-factor login (TOTP) and print the secret for an authenticator app."""
    with _sessions().begin() as db:
        account = accounts.find_account(db, login)
        if account is None:
            raise typer.BadParameter(f"no account {login!r}", param_hint="LOGIN")
        account.totp_secret = None if disable else pyotp.random_base32()
        secret = account.totp_secret
    if secret is None:
        typer.echo(f"two-factor login is off for {login!r}")
        return
    typer.echo(f"secret: {secret}")
    typer.echo(f"uri: {pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name='Estate')}")


@user_app.command("list")
def user_list(org: Annotated[str | None, typer.Option("--org")] = None) -> None:
    """List accounts (of one organization with --org)."""
    with _sessions().begin() as db:
        query = select(Account).where(Account.is_deleted.is_(False)).order_by(Account.id)
        if org:
            organization = _organization(db, org)
            query = query.join(OrganizationAccount, OrganizationAccount.account_id == Account.id).where(
                OrganizationAccount.organization_id == organization.id
            )
        for account in db.scalars(query):
            typer.echo(f"{account.id}\t{account.login}\t{account.full_name or ''}\t{account.email or ''}")


@org_app.command("create")
def org_create(name: str) -> None:
    """Create an organization with its default roles."""
    try:
        with _sessions().begin() as db:
            organization = orgs.create_organization(db, name=name, actor_account_id=None)
            organization_id = organization.id
    except DomainError as error:
        _fail(error)
    typer.echo(f"organization {name!r} created with id {organization_id}")


@org_app.command("list")
def org_list() -> None:
    """List organizations."""
    with _sessions().begin() as db:
        for organization in db.scalars(select(Organization).order_by(Organization.id)):
            state = "enabled" if organization.is_enabled else "disabled"
            typer.echo(f"{organization.id}\t{organization.name}\t{state}")


@apikey_app.command("create")
def apikey_create(
    org: OrgOption = DEFAULT_ORGANIZATION,
    key: Annotated[str | None, typer.Option(help="Use this key instead of a generated one")] = None,
    description: Annotated[str, typer.Option()] = "",
) -> None:
    """Create an API key for the i-doit JSON-RPC face of an organization; prints it once."""
    try:
        with _sessions().begin() as db:
            organization = _organization(db, org)
            raw = apikeys.create_api_key(db, organization_id=organization.id, raw_key=key, description=description)
    except DomainError as error:
        _fail(error)
    typer.echo(raw)


@apikey_app.command("list")
def apikey_list(org: Annotated[str | None, typer.Option("--org")] = None) -> None:
    """List API keys (their first characters only)."""
    with _sessions().begin() as db:
        organization_id = _organization(db, org).id if org else None
        names = {row.id: row.name for row in db.execute(select(Organization.id, Organization.name))}
        for key in apikeys.list_api_keys(db, organization_id):
            state = "active" if key.is_active else "revoked"
            typer.echo(f"{key.id}\t{names[key.organization_id]}\t{key.hint}…\t{state}\t{key.description or ''}")


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (stdout keeps the summary), advanced by the function yielded."""
    with typer.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


@app.command("demo")
def demo_command(
    org: OrgOption = DEFAULT_ORGANIZATION,
    size: Annotated[int, typer.Option(min=1, max=100_000, help="Inventoried machines; the rest scales with it")] = 100,
    seed: Annotated[int, typer.Option(help="The same seed makes the same estate")] = 1,
) -> None:
    """Fill an organization with a realistic estate: machines with software, assets, CMDB objects
    with locations and contacts, tickets."""
    sessions = _sessions()
    with sessions() as db:
        organization_id = _organization(db, org).id
    try:
        with _progress(demo.Plan.of(size).steps, f"Filling {org}") as advance:
            made = demo.fill(sessions, organization_id=organization_id, size=size, seed=seed, advance=advance)
    except DomainError as error:
        _fail(error)
    typer.echo(f"{org}: {made.machines} machines, {made.assets} assets, {made.objects} other CMDB objects with "
               f"{made.relations} relations, {made.tickets} tickets")


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="machines, assets or cmdb (an i-doit CSV export)")],
    file: Annotated[Path, typer.Argument(help="A .csv or .json file", exists=True, dir_okay=False)],
    org: OrgOption = DEFAULT_ORGANIZATION,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count everything, write nothing")] = False,
) -> None:
    """Import machines or assets from CSV or JSON, or CMDB objects from an i-doit CSV export: every
    row or none. Bad rows are listed by line and nothing is written."""
    if kind not in importer.KINDS:
        raise typer.BadParameter(f"one of {', '.join(importer.KINDS)}", param_hint="KIND")
    sessions = _sessions()
    with sessions() as db:
        organization_id = _organization(db, org).id
    try:
        rows = importer.read_rows(file, kind)
        with _progress(len(rows), f"Importing {file.name}") as advance:
            summary = importer.run(sessions, organization_id=organization_id, kind=kind, path=file,
                                   dry_run=dry_run, advance=advance, rows=rows)
    except importer.ImportFailed as failed:
        for error in failed.errors:
            typer.echo(f"{file.name}: {error}", err=True)
        typer.echo(f"nothing imported: {len(failed.errors)} bad rows", err=True)
        raise typer.Exit(code=2) from None
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{verb} {summary.rows} {kind} rows into {org}: {summary.created} new, {summary.updated} updated")
    if summary.ignored_columns:
        typer.echo(f"columns not imported: {', '.join(summary.ignored_columns)}")


@contextmanager
def _backup_errors() -> Iterator[None]:
    try:
        yield
    except backup.BackupError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


@app.command("backup")
def backup_command(file: Annotated[Path, typer.Argument(help="The archive to write (a .tar.gz)")]) -> None:
    """Copy the database and the uploaded files into one archive, while the server runs."""
    settings = get_settings()
    with _backup_errors():
        summary = backup.backup(database_url=settings.database_url, data_dir=settings.data_dir, target=file)
    typer.echo(f"backed up the {summary.database} database (revision {summary.revision}) and "
               f"{summary.files} uploaded files to {file}")


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="An archive made by estate backup")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Replace the database and the uploaded files with a backup's. Stop the servers first."""
    settings = get_settings()
    if not yes:
        typer.confirm(f"Replace the database and the uploaded files with {file}?", abort=True)
    with _backup_errors():
        summary = backup.restore(database_url=settings.database_url, data_dir=settings.data_dir, source=file)
    typer.echo(f"restored the {summary.database} database (now at revision {summary.revision}) and "
               f"{summary.files} uploaded files from {file}")



@agent_app.command("token")
def agent_token(
    org: OrgOption = DEFAULT_ORGANIZATION,
    description: Annotated[str, typer.Option()] = "",
    valid_days: Annotated[int | None, typer.Option("--valid-days", help="Refused after this many days")] = None,
) -> None:
    """Create an enrolment token for an organization's agents; prints it once."""
    try:
        with _sessions().begin() as db:
            organization = _organization(db, org)
            _, raw = agents.create_token(db, organization_id=organization.id, account_id=None,
                                         description=description, valid_days=valid_days)
    except DomainError as error:
        _fail(error)
    typer.echo(raw)


@agent_app.command("tokens")
def agent_tokens(org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """List an organization's enrolment tokens (their first characters only)."""
    with _sessions().begin() as db:
        for token in agents.list_tokens(db, organization_id=_organization(db, org).id):
            state = "revoked" if token.revoked else "active"
            typer.echo(f"{token.id}\t{token.hint}…\t{state}\t{token.enrolments} enrolled\t{token.description}")


@agent_app.command("revoke-token")
def agent_revoke_token(token_id: int, org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """Refuse further enrolments with a token."""
    try:
        with _sessions().begin() as db:
            agents.revoke_token(db, organization_id=_organization(db, org).id, token_id=token_id, account_id=None)
    except DomainError as error:
        _fail(error)
    typer.echo(f"token {token_id} revoked")


@agent_app.command("list")
def agent_list(org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """List an organization's enrolled agents."""
    with _sessions().begin() as db:
        for agent, name, kuid in agents.list_agents(db, organization_id=_organization(db, org).id):
            state = "revoked" if agent.revoked else "enrolled"
            typer.echo(f"{agent.machine_id}\t{name or ''}\t{kuid}\t{state}\t{agent.agent_version}")


@agent_app.command("revoke")
def agent_revoke(machine_id: int, org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """Refuse a machine's agent from now on."""
    try:
        with _sessions().begin() as db:
            agents.revoke_machine(db, organization_id=_organization(db, org).id, machine_id=machine_id,
                                  account_id=None)
    except DomainError as error:
        _fail(error)
    typer.echo(f"the agent of machine {machine_id} is revoked")


if __name__ == "__main__":
    app()


@report_app.command("list")
def report_list(org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """List an organization's report definitions: id, name, category, title."""
    with _sessions().begin() as db:
        for row in report_service.definitions_of(db, organization_id=_organization(db, org).id):
            typer.echo(f"{row.id}\t{row.name}\t{row.category}\t{row.title}")


@report_app.command("show")
def report_show(report: Annotated[str, typer.Argument(help="Id or name")],
                org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """Print a definition's JSON document (what `add` and `change` take)."""
    try:
        with _sessions().begin() as db:
            row = report_service.find(db, organization_id=_organization(db, org).id, key=report, field="REPORT")
            typer.echo(orjson.dumps(row.document, option=orjson.OPT_INDENT_2).decode())
    except DomainError as error:
        _fail(error)


def _definition_file(file: Path) -> Any:
    try:
        return orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as error:
        raise typer.BadParameter(f"not JSON: {error}", param_hint="FILE") from None


DefinitionFile = Annotated[Path, typer.Argument(help="A definition as JSON", exists=True, dir_okay=False)]


@report_app.command("add")
def report_add(file: DefinitionFile, org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """Add a report definition from a JSON file."""
    try:
        with _sessions().begin() as db:
            caller = report_service.administrator(_organization(db, org).id)
            row = report_service.create(db, caller=caller, data=_definition_file(file))
            typer.echo(f"report {row.name!r} added with id {row.id}")
    except DomainError as error:
        _fail(error)


@report_app.command("change")
def report_change(report: Annotated[str, typer.Argument(help="Id or name")], file: DefinitionFile,
                  org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """Replace a report definition by the JSON file's."""
    try:
        with _sessions().begin() as db:
            caller = report_service.administrator(_organization(db, org).id)
            row = report_service.update(db, caller=caller, key=report, data=_definition_file(file))
            typer.echo(f"report {row.name!r} changed")
    except DomainError as error:
        _fail(error)


@report_app.command("remove")
def report_remove(report: Annotated[str, typer.Argument(help="Id or name")],
                  org: OrgOption = DEFAULT_ORGANIZATION) -> None:
    """Remove a report definition (and its schedules)."""
    try:
        with _sessions().begin() as db:
            report_service.delete(db, caller=report_service.administrator(_organization(db, org).id), key=report)
    except DomainError as error:
        _fail(error)
    typer.echo(f"report {report!r} removed")


@report_app.command("run")
def report_run(
    report: Annotated[str, typer.Argument(help="Id or name")],
    org: OrgOption = DEFAULT_ORGANIZATION,
    format: Annotated[str, typer.Option(help="html, csv, xlsx, pdf, json or txt")] = "txt",  # noqa: A002
    locale: Annotated[str, typer.Option(help="Dates and numbers as this locale writes them (de_DE ...)")] = "default",
    output: Annotated[Path | None, typer.Option(help="Write here instead of standard output")] = None,
) -> None:
    """Run a report and write it in a format."""
    try:
        with _sessions().begin() as db:
            caller = report_service.administrator(_organization(db, org).id)
            row = report_service.find(db, organization_id=caller.organization_id, key=report, field="REPORT")
            table = tabulate(db, report_service.definition_of(row), caller)
            writer = report_formats.FORMATS[check_format(format)].write
            chunks = writer([table], report_formats.check_locale(locale))
            if output is None:
                for chunk in chunks:
                    sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
            else:
                with open(output, "wb") as target:
                    for chunk in chunks:
                        target.write(chunk)
    except DomainError as error:
        _fail(error)
