"""Console sessions and the sign-in form's CSRF protection (issue 21).

**Session cookie** ``__Host-scp_console``: 32 random bytes (URL-safe base64), ``Secure``,
``HttpOnly``, ``SameSite=Strict``, ``Path=/`` and no ``Domain`` (what the ``__Host-``
prefix demands, so no other host can set or shadow it). The store keeps only its SHA-256
(``console_session.token_hash``) with the session's CSRF token. A session ends for good
(``ended_at``) when its holder signs out, after ``idle`` without a request (the settings'
``console_idle_minutes``, default 15), after ``ABSOLUTE`` (8 hours) whatever happens, and
when its account is deactivated or reset. An ended session's cookie is refused if it comes
back. Each sign-in makes a new session and a new cookie (a cookie planted before sign-in
is never promoted: no fixation).

**CSRF** on every form of a signed-in page: the session's random token in a hidden field,
compared with ``hmac.compare_digest`` for every POST by the console's route class, before
the handler runs (``ConsoleWeb.check_post``); and a POST that a browser says came from
elsewhere (``Sec-Fetch-Site`` not ``same-origin``/``none``, or an ``Origin`` that is not
the console's own, ``null`` included) is refused (``web.check_origin``).

**The sign-in form** has no session yet, so it uses a double-submit cookie: the sign-in
page sets ``__Host-scp_presign`` (32 random bytes; ``Secure``, ``HttpOnly``,
``SameSite=Strict``, ``Path=/``, one hour) and puts the same value in the form; the POST
must bring both, equal. Decided against a signed cookie (which needs a secret shared by
every store process) or a row per visitor (which anyone could make the store write): the
``__Host-`` prefix means only this host over HTTPS can set the cookie, so another site can
neither read the value nor plant one of its own, which is all a double-submit needs; with
``SameSite=Strict`` and the Sec-Fetch-Site and Origin checks on top. The cookie is cleared
once signed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server.models import ConsoleAccount, ConsoleSession, utc_now

COOKIE = "__Host-scp_console"
PRESIGN_COOKIE = "__Host-scp_presign"
ABSOLUTE = dt.timedelta(hours=8)
PRESIGN_SECONDS = 3600
_TOUCH_EVERY = dt.timedelta(seconds=15)  # last_seen_at is written at most this often


def digest(token: str) -> str:
    """The SHA-256 (hex) of a cookie's value: what the store keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def looks_like_token(value: str | None) -> bool:
    """A value this module could have made (anything else is not even looked up)."""
    return value is not None and len(value) == 43 and value.replace("-", "").replace(
        "_", "").isalnum()


@dataclass(frozen=True)
class Live:
    """A live session and its account."""

    session: ConsoleSession
    account: ConsoleAccount


def start(db: Session, account_id: str, now: dt.datetime | None = None) -> tuple[str, str]:
    """A new session for the account: (cookie value, CSRF token)."""
    now = now or utc_now()
    token, csrf = new_token(), new_token()
    db.add(ConsoleSession(token_hash=digest(token), account_id=account_id, csrf_token=csrf,
                          created_at=now, last_seen_at=now))
    db.flush()
    return token, csrf


def end(db: Session, token_hash: str, now: dt.datetime | None = None) -> None:
    """End a session for good (a cookie replayed later is refused)."""
    db.execute(update(ConsoleSession)
               .where(ConsoleSession.token_hash == token_hash, ConsoleSession.ended_at.is_(None))
               .values(ended_at=now or utc_now()))


def find(db: Session, token: str | None, idle: dt.timedelta,
         now: dt.datetime | None = None) -> Live | None:
    """The live session holding ``token`` (its last_seen_at moved on), or None: unknown,
    ended, idle too long or too old (those are ended now), or its account deactivated."""
    if not looks_like_token(token):
        return None
    assert token is not None
    now = now or utc_now()
    found = db.execute(select(ConsoleSession, ConsoleAccount)
                       .join(ConsoleAccount, ConsoleAccount.id == ConsoleSession.account_id)
                       .where(ConsoleSession.token_hash == digest(token))).first()
    if found is None:
        return None
    session, account = found
    if session.ended_at is not None:
        return None
    if (account.deactivated_at is not None or now - session.last_seen_at > idle
            or now - session.created_at > ABSOLUTE):
        end(db, session.token_hash, now)
        return None
    if now - session.last_seen_at > _TOUCH_EVERY:
        session.last_seen_at = now
    return Live(session, account)
