"""Leases: how several processes share outbox rows and timers on SQLite and PostgreSQL alike.

A row is claimed by a conditional UPDATE (pending, and not leased or its lease expired) that writes the claimer's
owner token and an expiry; the rows that carry the token afterwards are the ones this process won. The claim is
committed before any slow work, so no lock or transaction is held while Slack is called; a process that dies leaves
a lease that simply expires, and another process takes the row over. `FOR UPDATE SKIP LOCKED` is not needed (and on
SQLite it compiles to nothing, so it would keep no two processes apart).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.db import among


def new_owner() -> str:
    """A token naming one claim: the process and a random part, so log lines say who held a row."""
    return f"{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim(
    session: Session,
    model: Any,
    ids: Sequence[int],
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    **also: Any,
) -> list[int]:
    """Lease the given pending rows that nobody holds; returns the ids this claim won. `also` sets more columns."""
    if not ids:
        return []
    session.execute(
        update(model)
        .where(
            among(session, model.id, ids),
            model.state == "pending",
            or_(model.lease_until.is_(None), model.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + lease, **also)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(select(model.id).where(among(session, model.id, ids), model.lease_owner == owner)))


def claimable(model: Any, now: datetime) -> Any:
    """The condition for a row another process may claim now."""
    return (model.state == "pending") & or_(model.lease_until.is_(None), model.lease_until < now)
