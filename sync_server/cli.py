"""The admin command line: ``shared-care-store`` (or ``python -m sync_server``).

    shared-care-store upgrade
    shared-care-store create-team "City South INT"
    shared-care-store create-user --team "City South INT" --role nurse "Alex Example"
    shared-care-store issue-enrolment-code --user "Alex Example"
    shared-care-store deactivate-user USER     (and reactivate-user USER)
    shared-care-store list-devices [--team NAME]
    shared-care-store revoke-device DEVICE_ID
    shared-care-store verify-audit [--laptop LAPTOP_ID]
    shared-care-store accept-audit-head --laptop LAPTOP_ID
    shared-care-store create-console-account --role it_admin --name "Robin Example" robin
    shared-care-store reset-console-account USERNAME [--password] [--totp]
    shared-care-store deactivate-console-account USERNAME
    shared-care-store encrypt-console-secrets
    shared-care-store verify-store-audit [--chain CHAIN] [--record]
    shared-care-store rekey-store-audit [--old-key-file FILE] [--chain CHAIN]
    shared-care-store publish-framework --kind flow|catalogue FILE [--note TEXT]
    shared-care-store export-fhir --team NAME --out DIR [--type Patient,CarePlan]
    shared-care-store serve --host 0.0.0.0 --port 8443 --ssl-certfile C --ssl-keyfile K

The database comes from ``--database-url`` or ``SCP_STORE_DATABASE_URL``; without either,
the SQLite trial file ``shared-care-store.sqlite3`` in the current folder is used.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from sync_server import admin, admin_codes, audit, fhir_cli, framework_cli, store_audit
from sync_server.config import DATABASE_URL_ENV, PGBOUNCER_ENV, Settings
from sync_server.console import accounts as console_accounts
from sync_server.console import commands as console_commands
from sync_server.database import make_engine, make_session_factory, upgrade
from sync_server.models import Role

log = logging.getLogger("sync_server")
TRIAL_WARNING = (f"warning: using the SQLite trial store; set {DATABASE_URL_ENV} to a "
                 "PostgreSQL URL before real patient data is synced")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shared-care-store",
                                     description="Run and administer the central store.")
    parser.add_argument("--database-url", help=f"overrides {DATABASE_URL_ENV}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="create or migrate the database schema")
    team = sub.add_parser("create-team", help="add a team")
    team.add_argument("name")
    user = sub.add_parser("create-user", help="add a user to a team")
    user.add_argument("name")
    user.add_argument("--team", required=True, help="team name or id")
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    for verb, what in (("deactivate", "stop syncing this user's laptops (nothing is deleted; "
                                      "their unsent changes stay on the laptops)"),
                       ("reactivate", "sync this user's laptops again")):
        toggle = sub.add_parser(f"{verb}-user", help=what)
        toggle.add_argument("user", help="user id, or a user's unique name")
    code = sub.add_parser("issue-enrolment-code", help="print a one-time code to enrol a laptop")
    code.add_argument("--user", required=True, help="user id, or a user's unique name")
    code.add_argument("--hours", type=int, default=admin_codes.DEFAULT_CODE_HOURS,
                      help="how long the code stays valid (default %(default)s)")
    devices = sub.add_parser("list-devices", help="list enrolled laptops")
    devices.add_argument("--team", help="only this team (name or id)")
    revoke = sub.add_parser("revoke-device", help="refuse a lost or retired laptop from now on")
    revoke.add_argument("device_id")
    verify = sub.add_parser("verify-audit", help="walk the laptops' audit trails held here and "
                            "list the recorded breaks; exit status 1 if any is broken or open")
    verify.add_argument("--laptop", help="only this laptop (its vault's device id)")
    accept = sub.add_parser("accept-audit-head", help="after an investigation, accept a "
                            "laptop's audit trail as it is now (its breaks stay recorded)")
    accept.add_argument("--laptop", required=True, help="the laptop's vault device id")
    console_commands.add_parsers(sub)  # console accounts, verify-store-audit (issue 21)
    framework_cli.add_parser(sub)  # publish-framework (issue 21)
    fhir_cli.add_parser(sub)  # export-fhir (issue 22)
    serve = sub.add_parser("serve", help="upgrade the schema, then run the HTTP API on uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--ssl-certfile")
    serve.add_argument("--ssl-keyfile")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--forwarded-allow-ips", metavar="ADDRESSES",
                       help="the load balancers or proxies (comma-separated addresses, or *) "
                            "whose X-Forwarded-For and X-Forwarded-Proto are believed; the "
                            "client address (enrolment and console sign-in limits count per "
                            "address) is read from "
                            "them only then. Default: $FORWARDED_ALLOW_IPS, else 127.0.0.1,::1")
    return parser


def _in_session(settings: Settings, work: Callable[[Session], None]) -> None:
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    try:
        with make_session_factory(engine).begin() as session:
            work(session)
    finally:
        engine.dispose()


def _print_devices(session: Session, team: str | None) -> None:
    rows = admin.list_devices(session, team)
    if not rows:
        print("no devices")
    for d in rows:
        state = f"revoked {d.revoked_at:%Y-%m-%d %H:%M}Z" if d.revoked_at else d.state.value
        seen = f"last seen {d.last_seen_at:%Y-%m-%d %H:%M}Z" if d.last_seen_at else "never seen"
        waiting = "" if d.pending_changes is None else f"  {d.pending_changes} waiting"
        print(f"{d.id}  {d.name!r}  team={d.team!r}  user={d.user!r}  "
              f"enrolled {d.enrolled_at:%Y-%m-%d %H:%M}Z  {state}  {seen}{waiting}")


def _deactivate(session: Session, user: str) -> None:
    changed = admin.deactivate_user(session, user)
    print(f"deactivated {user}" if changed else f"{user} was already deactivated")


def _reactivate(session: Session, user: str) -> None:
    changed = admin.reactivate_user(session, user)
    print(f"reactivated {user}" if changed else f"{user} was not deactivated")


def _revoke(session: Session, device_id: str) -> None:
    changed = admin.revoke_device(session, device_id)
    print(f"revoked {device_id}" if changed else f"{device_id} was already revoked")


def _verify_audit(settings: Settings, laptop: str | None) -> int:
    found: list[bool] = []

    def walk(session: Session) -> None:
        reports, breaks = audit.verify_chains(session, laptop)
        for line in audit.describe(reports, breaks):
            print(line)
        found.append(any(r.problem for r in reports)
                     or any(b.accepted_at is None for b in breaks))

    _in_session(settings, walk)
    return 1 if found[0] else 0


def _accept_audit_head(session: Session, laptop: str) -> None:
    accepted, epochs = audit.accept_head(session, laptop)
    if not accepted:
        raise admin.AdminError(f"no open break in the audit trail of laptop {laptop}")
    again = (f"; its next sync sends its trail again (epoch {', '.join(map(str, epochs))})"
             if epochs else "")
    print(f"accepted {accepted} break(s) of laptop {laptop}, kept on record{again}")


def _admin(args: argparse.Namespace, settings: Settings) -> None:
    actions: dict[str, Callable[[Session], None]] = {
        "create-team": lambda s: print(admin.create_team(s, args.name).id),
        "create-user": lambda s: print(admin.create_user(s, args.team, args.name, args.role).id),
        "issue-enrolment-code": lambda s: print(
            admin_codes.issue_enrolment_code(s, args.user, args.hours)),
        "deactivate-user": lambda s: _deactivate(s, args.user),
        "reactivate-user": lambda s: _reactivate(s, args.user),
        "list-devices": lambda s: _print_devices(s, args.team),
        "revoke-device": lambda s: _revoke(s, args.device_id),
        "accept-audit-head": lambda s: _accept_audit_head(s, args.laptop),
    }

    def audited(session: Session) -> None:
        # A command that changes the store is recorded in its audit trail, in the same
        # transaction (sync_server/console/commands.py: AUDITED).
        actions[args.command](session)
        console_commands.audit_admin_command(session, args)

    _in_session(settings, audited)


def _upgrade(settings: Settings) -> None:
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    print(f"database at {after}" + (f" (was {before})" if before != after else ""))


def _check_keys(settings: Settings) -> None:
    """Refuse to serve with another audit key than the chains' (every push would fail), or
    with a console secret key file that cannot be read (every sign-in would)."""
    console_accounts.secret_key()

    def work(session: Session) -> None:
        wrong = store_audit.key_mismatches(session)
        if wrong:
            raise store_audit.AuditKeyError(
                f"not serving: these audit chains are not hashed with this process's key "
                f"({store_audit.describe_key(store_audit.key_id(store_audit.audit_key()))}): "
                f"{', '.join(wrong[:5])}{' ...' if len(wrong) > 5 else ''}. Set "
                f"{store_audit.KEY_FILE_ENV} to the store's key file, or rekey the chains "
                "(`shared-care-store rekey-store-audit`).")

    _in_session(settings, work)


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn  # only the serve command needs it

    _upgrade(settings)
    _check_keys(settings)
    # Workers import the app afresh: hand them the settings through the environment.
    os.environ[DATABASE_URL_ENV] = settings.database_url
    os.environ[PGBOUNCER_ENV] = "1" if settings.transaction_pooling else "0"
    uvicorn.run("sync_server.api:create_app_from_env", factory=True, host=args.host,
                port=args.port, workers=args.workers, log_level=args.log_level,
                ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile,
                proxy_headers=True, forwarded_allow_ips=args.forwarded_allow_ips)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one admin command; 0 on success, 1 for a mistake the admin can correct."""
    args = _parser().parse_args(argv)
    # Admin commands print their answer only; the server and migrations also log progress.
    level = logging.INFO if args.command in ("serve", "upgrade") else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(args.database_url)
        if settings.is_trial:
            print(TRIAL_WARNING, file=sys.stderr)
        if args.command == "upgrade":
            _upgrade(settings)
        elif args.command == "serve":
            _serve(args, settings)
        elif args.command == framework_cli.COMMAND:
            return framework_cli.run(args, settings)
        elif args.command == fhir_cli.COMMAND:
            return fhir_cli.run(args, settings)
        elif args.command in console_commands.COMMANDS:
            return console_commands.run(args, settings)
        elif args.command == "verify-audit":
            return _verify_audit(settings, args.laptop)
        else:
            _admin(args, settings)
    except (admin.AdminError, ValueError, store_audit.AuditKeyError,
            console_accounts.SecretKeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
