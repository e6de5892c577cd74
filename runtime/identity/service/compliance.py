"""Keystone's ``[security_compliance]`` rules: lockout, inactivity, password expiry,
history, minimum age, strength (regex) and change-upon-first-use.

Every rule is off unless configured (``[identity.security_compliance]``). The user options
``ignore_lockout_failure_attempts``, ``ignore_user_inactivity``, ``ignore_password_expiry``
and ``ignore_change_password_upon_first_use`` exempt a user from the matching rule.

The lockout counters and ``last_active_at`` are written in their own small transactions
through ``ident.db.session()`` rather than ``ident.write()``: no validated token depends on
them, so there is no reason to make every token cache in the cloud refresh on each login.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from runtime.common.config import SecurityComplianceSettings
from runtime.common.db import utcnow
from runtime.common.errors import BadRequest
from runtime.identity import models as m
from runtime.identity.passwords import check_password
from runtime.identity.service.core import Identity


def _option(user: m.User, name: str) -> bool:
    return (user.options or {}).get(name) is True


def password_expired_message(user_id: str) -> str:
    return f"The password is expired and needs to be changed for user: {user_id}."


# --- accounts ------------------------------------------------------------------------------


def is_locked(sc: SecurityComplianceSettings, user: m.User, now: datetime) -> bool:
    """Too many failed attempts, and the lock has not run out yet."""
    limit = sc.lockout_failure_attempts
    if not limit or _option(user, "ignore_lockout_failure_attempts"):
        return False
    if (user.failed_auth_count or 0) < limit:
        return False
    if sc.lockout_duration is None:
        return True  # locked until an administrator re-enables the user
    last = user.failed_auth_at
    return last is not None and now < last + timedelta(seconds=sc.lockout_duration)


def is_inactive(sc: SecurityComplianceSettings, user: m.User, now: datetime) -> bool:
    """No successful authentication for disable_user_account_days_inactive days."""
    days = sc.disable_user_account_days_inactive
    if not days or _option(user, "ignore_user_inactivity"):
        return False
    last = user.last_active_at or user.created_at
    return last is not None and (now.date() - last.date()).days >= days


def effectively_enabled(sc: SecurityComplianceSettings, user: m.User,
                        now: datetime | None = None) -> bool:
    """What the API shows as ``enabled``: an inactive user counts as disabled (Keystone
    shows it so too, while the stored flag stays as the administrator set it)."""
    return user.enabled and not is_inactive(sc, user, now or utcnow())


def record_failure(ident: Identity, user_id: str, now: datetime) -> None:
    """Count a wrong password towards the lockout (only while lockout is configured)."""
    sc = ident.settings.security_compliance
    if not sc.lockout_failure_attempts:
        return
    with ident.db.session() as s:
        # FOR UPDATE: concurrent failures must each count (PostgreSQL; SQLite's
        # BEGIN IMMEDIATE already serialises writers).
        user = s.get(m.User, user_id, with_for_update=True)
        if user is None:
            return
        # A lock that has run out starts a fresh count, as in Keystone, instead of
        # locking again at the first mistake.
        ran_out = (user.failed_auth_count or 0) >= sc.lockout_failure_attempts and not is_locked(
            sc, user, now)
        user.failed_auth_count = 1 if ran_out else (user.failed_auth_count or 0) + 1
        user.failed_auth_at = now


def record_success(ident: Identity, user: m.User, now: datetime) -> None:
    """Clear the failure count and note the day of activity (at most one write a day)."""
    values: dict[str, object] = {}
    if user.failed_auth_count:
        values.update(failed_auth_count=0, failed_auth_at=None)
    if user.last_active_at is None or user.last_active_at.date() != now.date():
        # Kept whether or not inactivity is enforced, so that turning the rule on later
        # does not disable everyone who has been active.
        values["last_active_at"] = now
    if values:
        with ident.db.session() as s:
            s.execute(update(m.User).where(m.User.id == user.id).values(**values))


def reenabled(user: m.User, now: datetime) -> None:
    """An administrator set enabled=true: that is how a locked or inactive user is let
    back in, as in Keystone."""
    user.failed_auth_count = 0
    user.failed_auth_at = None
    user.last_active_at = now


# --- passwords -----------------------------------------------------------------------------


def password_expired(user: m.User, now: datetime) -> bool:
    expires = user.password_expires_at
    return (expires is not None and not _option(user, "ignore_password_expiry")
            and now >= expires)


def check_strength(sc: SecurityComplianceSettings, password: str) -> None:
    """password_regex (matched from the start, as Keystone's re.match)."""
    if sc.password_regex and not re.match(sc.password_regex, password):
        detail = sc.password_regex_description or f"it must match {sc.password_regex}"
        raise BadRequest(f"The password does not match the requirements: {detail}.")


def check_minimum_age(sc: SecurityComplianceSettings, user: m.User, now: datetime) -> None:
    """A password the user set themselves must be kept minimum_password_age days; one an
    administrator set may be changed at once."""
    days = sc.minimum_password_age
    if not days or not user.password_self_service or user.password_created_at is None:
        return
    ready = user.password_created_at + timedelta(days=days)
    if now < ready:
        raise BadRequest(
            "You cannot change your password at this time due to the minimum password age. "
            f"Once you change your password, it must be used for {days} day(s) before it can "
            f"be changed. Please try again in {(ready - now).days} day(s) or contact your "
            "administrator to reset your password.")


def recent_hashes(s: Session, sc: SecurityComplianceSettings, user: m.User) -> list[str]:
    """The hashes a new password must not match: the current one and the
    unique_last_password_count - 1 before it."""
    count = sc.unique_last_password_count
    if count <= 0:
        return []
    hashes = [user.password_hash] if user.password_hash is not None else []
    if count > 1:
        hashes += s.scalars(
            select(m.PasswordHistory.password_hash)
            .where(m.PasswordHistory.user_id == user.id)
            .order_by(m.PasswordHistory.id.desc())
            .limit(count - 1)
        )
    return hashes


def check_history(sc: SecurityComplianceSettings, hashes: list[str], password: str) -> None:
    """Blocking (a bcrypt run per hash): call it outside any transaction."""
    for hashed in hashes:
        if check_password(password, hashed):
            raise BadRequest(
                "The new password cannot be identical to a previous password. The total "
                "number which includes the new password must be unique is "
                f"{sc.unique_last_password_count}.")


def _expiry(sc: SecurityComplianceSettings, user: m.User, now: datetime,
            first_use: bool) -> datetime | None:
    if _option(user, "ignore_password_expiry"):
        return None
    if (first_use and sc.change_password_upon_first_use
            and not _option(user, "ignore_change_password_upon_first_use")):
        return now  # expired already: the user must change it before anything else
    if sc.password_expires_days:
        # Whole seconds, as Keystone stores it.
        return (now + timedelta(days=sc.password_expires_days)).replace(microsecond=0)
    return None


def store_password(s: Session, sc: SecurityComplianceSettings, user: m.User,
                   password_hash: str | None, *, self_service: bool, first_use: bool) -> None:
    """Make ``password_hash`` the user's password (None: no password).

    The old hash goes to the history when the history rule needs it; older entries than the
    rule needs are dropped, so no more old hashes are kept than necessary. ``first_use``
    marks a password set at creation or by an administrator's reset, which starts expired
    under change_password_upon_first_use.
    """
    now = utcnow()
    keep = sc.unique_last_password_count - 1
    if user.password_hash is not None and keep > 0:
        s.add(m.PasswordHistory(user_id=user.id, password_hash=user.password_hash,
                                created_at=user.password_created_at or now))
        s.flush()
    _trim_history(s, user.id, max(keep, 0))
    user.password_hash = password_hash
    user.password_self_service = self_service
    if password_hash is None:
        user.password_created_at = user.password_expires_at = None
    else:
        user.password_created_at = now
        user.password_expires_at = _expiry(sc, user, now, first_use)


def _trim_history(s: Session, user_id: str, keep: int) -> None:
    stale = select(m.PasswordHistory.id).where(m.PasswordHistory.user_id == user_id).order_by(
        m.PasswordHistory.id.desc()).offset(keep)
    ids = list(s.scalars(stale))
    if ids:
        s.execute(delete(m.PasswordHistory).where(m.PasswordHistory.id.in_(ids)))
