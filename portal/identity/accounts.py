"""Court staff accounts, courts and courtrooms (administration)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.trail import AuditAction, AuditEntry, append
from portal.errors import InvalidInputError, NotFoundError, RuleViolationError
from portal.identity.passwords import check_password_policy, hash_password
from portal.identity.sessions import end_sessions_of_user
from portal.models import STAFF_ROLES, Court, Courtroom, Role, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def create_user(
    db: Session,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    now: datetime,
    actor: str,
    court_id: int | None = None,
    office_phone: str | None = None,
) -> User:
    """Create a staff account. Parties do not get accounts here: they sign in per case.

    Raises InvalidInputError (username, role or password policy) or RuleViolationError (taken).
    """
    if not USERNAME.match(username):
        raise InvalidInputError("用户名须为 2-64 个小写字母、数字或 . _ - 字符")
    if role not in STAFF_ROLES:
        raise InvalidInputError("当事人凭案号和查阅密码登录，不设账号")
    check_password_policy(password)
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise RuleViolationError(f"用户名 {username} 已被使用")
    if court_id is not None and db.get(Court, court_id) is None:
        raise InvalidInputError(f"法院不存在（编号 {court_id}）")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=hash_password(password),
        court_id=court_id,
        office_phone=office_phone,
        disabled=False,
        created_at=now,
    )
    db.add(user)
    db.flush()
    append(
        db,
        AuditEntry(actor, AuditAction.USER_CREATED, f"user:{user.id}", detail={"role": role.value}),
        at=now,
    )
    return user


def disable_user(db: Session, user_id: int) -> None:
    """Disable an account and end all its sessions at once. NotFoundError if unknown."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError()
    user.disabled = True
    end_sessions_of_user(db, user.id)
    db.flush()


def get_or_create_court(db: Session, code: str, name: str) -> Court:
    """The court with ``code``, created with ``name`` if missing. InvalidInputError for a bad code."""
    if not CODE.match(code):
        raise InvalidInputError("法院代码须由小写字母、数字和 - 组成（与录制设备记录的一致）")
    court = db.scalar(select(Court).where(Court.code == code))
    if court is None:
        court = Court(code=code, name=name)
        db.add(court)
        db.flush()
    return court


def get_or_create_courtroom(db: Session, court: Court, code: str, name: str) -> Courtroom:
    """The courtroom ``code`` of ``court``, created with ``name`` if missing."""
    if not CODE.match(code):
        raise InvalidInputError("法庭代码须由小写字母、数字和 - 组成（即录制设备的 --room）")
    room = db.scalar(select(Courtroom).where(Courtroom.court_id == court.id, Courtroom.code == code))
    if room is None:
        room = Courtroom(court_id=court.id, code=code, name=name)
        db.add(room)
        db.flush()
    return room
