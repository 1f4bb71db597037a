"""The command line's console commands (issue 21), and the audit of admin commands.

    shared-care-store create-console-account --role it_admin --name "Robin Example" robin
    shared-care-store reset-console-account robin [--password] [--totp]
    shared-care-store deactivate-console-account robin
    shared-care-store encrypt-console-secrets
    shared-care-store verify-store-audit [--chain CHAIN] [--record]
    shared-care-store rekey-store-audit [--old-key-file FILE] [--chain CHAIN]

The first console account is made here (nobody can sign in to make it). A password is
asked twice without echo (``getpass``), or read from one line of standard input with
``--password-stdin`` for scripts; the TOTP secret and its ``otpauth://`` URI are printed
once, to be put in the person's authenticator app there and then: **the secret is on
the terminal** (and in its scroll-back, or a script's output), so run the command where
nobody else can see or record it, and clear the screen afterwards.

Every command that changes the store (these, and sync_server/cli.py's create-team,
create-user, issue-enrolment-code, revoke-device, ...) appends a ``cli`` event to the
store's audit trail (the console chain) in its own transaction: the command line is an
actor like any other, named by the operating system account the command runs as (its
user id, ``uid:1000``, as the actor id, and its name from the system's user database, not
from ``$USER``, which anyone can set; with the ``sudo`` user noted when there is one).
"""

from __future__ import annotations

import argparse
import getpass
import os
import pwd
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from sync_server import store_audit, store_audit_verify
from sync_server.config import Settings
from sync_server.console import accounts
from sync_server.database import make_engine, make_session_factory
from sync_server.models import CONSOLE_ROLES

COMMANDS = ("create-console-account", "reset-console-account", "deactivate-console-account",
            "encrypt-console-secrets", "verify-store-audit", "rekey-store-audit")

# Admin commands of cli.py that change the store: their audit action, and which of their
# arguments go into the event (ids and names only; never a code, a token or a password).
AUDITED: dict[str, tuple[str, tuple[str, ...]]] = {
    "create-team": ("team_created", ("name",)),
    "create-user": ("user_created", ("name", "team", "role")),
    "deactivate-user": ("user_deactivated", ("user",)),
    "reactivate-user": ("user_reactivated", ("user",)),
    "issue-enrolment-code": ("enrolment_code_issued", ("user", "hours")),
    "revoke-device": ("device_revoked", ("device_id",)),
    "accept-audit-head": ("laptop_audit_head_accepted", ("laptop",)),
}


def operating_system_uid() -> str:
    """The actor id of the command line: ``uid:<user id>`` of the account it runs as."""
    return f"uid:{os.getuid()}"


def operating_system_user() -> str:
    """Who runs the command: the name the system's user database gives the account it runs
    as (not ``$USER``), and who used ``sudo`` to become it, if anyone did."""
    try:
        name = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a container's user with no entry
        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = "unknown"
    sudo = os.environ.get("SUDO_USER", "").strip()
    if sudo and sudo != name:
        name = f"{name} (sudo from {sudo})"
    return name[:200]


def audit_cli(db: Session, action: str, *, device_id: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
    """A command-line action on the console chain, in ``db``'s transaction."""
    store_audit.append(db, chain=store_audit.CONSOLE_CHAIN, actor_kind="cli",
                       actor_id=operating_system_uid(), actor_name=operating_system_user(),
                       action=action, device_id=device_id, detail=detail)


def audit_admin_command(db: Session, args: argparse.Namespace) -> None:
    """The audit event of one of cli.py's admin commands (nothing for a read-only one)."""
    known = AUDITED.get(args.command)
    if known is None:
        return
    action, fields = known
    detail = {field: getattr(args, field) for field in fields
              if getattr(args, field, None) is not None}
    audit_cli(db, action, device_id=getattr(args, "device_id", None), detail=detail)


def add_parsers(sub: Any) -> None:
    """The console commands on cli.py's subparsers."""
    create = sub.add_parser("create-console-account",
                            help="add a web console account; prints its TOTP secret once")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=CONSOLE_ROLES)
    create.add_argument("--name", required=True, help="the person's name as the console shows it")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from one line of standard input")
    reset = sub.add_parser("reset-console-account",
                           help="new password and/or TOTP secret; clears a lockout and ends "
                                "the account's sessions")
    reset.add_argument("username")
    reset.add_argument("--password", action="store_true", help="set a new password")
    reset.add_argument("--totp", action="store_true",
                       help="make a new TOTP secret (a lost or replaced phone)")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the new password from one line of standard input")
    deactivate = sub.add_parser("deactivate-console-account",
                                help="stop a console account signing in; ends its sessions")
    deactivate.add_argument("username")
    sub.add_parser("encrypt-console-secrets",
                   help="encrypt every console TOTP secret still in plain text, with the key "
                        "in SCP_CONSOLE_SECRET_KEY_FILE")
    verify = sub.add_parser("verify-store-audit",
                            help="walk the store's own audit chains; exit status 1 if any is "
                                 "broken")
    verify.add_argument("--chain", help="only this chain (console, or a team id)")
    verify.add_argument("--record", action="store_true",
                        help="record the outcome and its checkpoints on the audit trail (as "
                             "the console's Verify button does)")
    rekey = sub.add_parser("rekey-store-audit",
                           help="move the audit chains to the key in SCP_STORE_AUDIT_KEY_FILE, "
                                "sealing what was written before")
    rekey.add_argument("--old-key-file",
                       help="the chains' present key (leave out for unkeyed chains)")
    rekey.add_argument("--chain", help="only this chain (console, or a team id)")


def _password(args: argparse.Namespace, username: str) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {username}: ")
    accounts.check_password(username, first)  # say so before asking again
    if getpass.getpass("The same password again: ") != first:
        raise accounts.AccountError("The two passwords are not the same")
    return first


def _show_secret(username: str, secret: str) -> None:
    print(f"TOTP secret (shown once): {secret}")
    print(f"otpauth URI: {accounts.provisioning_uri(secret, username)}")
    print("Add it to the person's authenticator app now (type the secret, or make a QR code "
          "of the URI); it is not shown again. It is on this terminal: clear the screen and "
          "its scroll-back afterwards.")


def _in_session(settings: Settings, work: Callable[[Session], None]) -> None:
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    try:
        with make_session_factory(engine).begin() as session:
            work(session)
    finally:
        engine.dispose()


def _create(args: argparse.Namespace, settings: Settings) -> int:
    username = accounts.check_username(args.username)
    password = _password(args, username)

    def work(db: Session) -> None:
        account, secret = accounts.create_account(db, username, args.name, args.role, password)
        audit_cli(db, "console_account_created",
                  detail={"account_id": account.id, "username": account.username,
                          "role": account.role})
        print(f"created console account {account.username!r} "
              f"({accounts.role_name(account.role)})")
        _show_secret(account.username, secret)

    _in_session(settings, work)
    return 0


def _reset(args: argparse.Namespace, settings: Settings) -> int:
    password = None
    if args.password or args.password_stdin:
        password = _password(args, accounts.normalise_username(args.username))

    def work(db: Session) -> None:
        account = accounts.find_account(db, args.username)
        secret = accounts.reset_account(db, args.username, password=password,
                                        new_totp=args.totp)
        audit_cli(db, "console_account_reset",
                  detail={"account_id": account.id, "username": account.username,
                          "password": password is not None, "totp": args.totp})
        changed = [what for what, done in (("new password", password is not None),
                                           ("new TOTP secret", args.totp)) if done]
        print(f"reset console account {account.username!r}: "
              f"{', '.join(changed + ['lockout cleared', 'sessions ended'])}")
        if secret is not None:
            _show_secret(account.username, secret)

    _in_session(settings, work)
    return 0


def _deactivate(args: argparse.Namespace, settings: Settings) -> int:
    def work(db: Session) -> None:
        account = accounts.find_account(db, args.username)
        changed = accounts.deactivate_account(db, args.username)
        if changed:
            audit_cli(db, "console_account_deactivated",
                      detail={"account_id": account.id, "username": account.username})
        print(f"deactivated console account {account.username!r}" if changed
              else f"{account.username!r} was already deactivated")

    _in_session(settings, work)
    return 0


def _encrypt(args: argparse.Namespace, settings: Settings) -> int:
    def work(db: Session) -> None:
        done = accounts.encrypt_secrets(db)
        if done:
            audit_cli(db, "console_secrets_encrypted", detail={"accounts": done})
        print(f"encrypted {done} console TOTP secret{'s' if done != 1 else ''}; "
              + accounts.describe_secrets(db))

    _in_session(settings, work)
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    try:
        factory = make_session_factory(engine)
        with factory() as db:  # one read-only snapshot (store_audit_verify.verify)
            reports = store_audit_verify.verify(db, args.chain)
        for line in store_audit_verify.describe(reports):
            print(line)
        with factory.begin() as db:
            print(accounts.describe_secrets(db))
            if args.record:
                store_audit_verify.record_verification(db, reports, actor_kind="cli",
                                                       actor_id=operating_system_uid(),
                                                       actor_name=operating_system_user())
                print("recorded on the audit trail, with each chain's checkpoint")
    finally:
        engine.dispose()
    return 0 if all(r.ok for r in reports) else 1


def _rekey(args: argparse.Namespace, settings: Settings) -> int:
    old_key = store_audit.read_key_file(args.old_key_file) if args.old_key_file else None
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    try:
        factory = make_session_factory(engine)
        with factory() as db:
            chains = store_audit_verify.chain_names(db, args.chain)
        for chain in chains:  # one transaction a chain: its head stays locked only for it
            with factory.begin() as db:
                done = store_audit_verify.rekey(db, chain, old_key=old_key,
                                                actor_name=operating_system_user(),
                                                actor_id=operating_system_uid())
            print(f"chain {chain}: " + ("rekeyed (what came before is sealed under the new "
                                        "key)" if done else "already has this key"))
    finally:
        engine.dispose()
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of ``COMMANDS``; 0 on success, 1 when a chain is broken or a key is wrong."""
    handlers = {"create-console-account": _create, "reset-console-account": _reset,
                "deactivate-console-account": _deactivate, "encrypt-console-secrets": _encrypt,
                "verify-store-audit": _verify, "rekey-store-audit": _rekey}
    try:
        return handlers[args.command](args, settings)
    except (store_audit.AuditKeyError, accounts.SecretKeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
