"""django-fsm-2 (``django_fsm``) and django-fsm-log on the Django ORM, configured in-module.

Each step is one ``transaction.atomic()`` (``BEGIN IMMEDIATE`` via the SQLite backend's
``transaction_mode``): load the case, ``has_transition_perm`` (state, conditions and the role
permission), call the ``@transition`` method, ``save()``. ``ConcurrentTransitionMixin`` makes the
UPDATE conditional on the state read (django-fsm's optimistic lock: it filters on the state field,
not a version; ``version`` is still counted). django-fsm-log writes the ``StateLog`` row on
``post_transition``; its ``by`` is a Django ``User`` per actor (username ``role:id``) and the step's
time and JSON data go in its ``description`` (StateLog has no data field and stamps ``timestamp``
with the wall clock). Opening writes the case and a ``StateLog`` "open" row by hand.

Django can be configured once per process: ``setup`` points the default database at each new file;
``setup_postgres`` points the ``postgres`` alias (Django's postgresql backend on psycopg 3) at a
PostgreSQL database, and a router sends every model to the alias set up last.
Import this module as ``peers.django_fsm`` (from ``bench/``), never as a top-level ``django_fsm``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from sqlalchemy.engine import make_url

from . import (
    BUYER,
    MERCHANT,
    OPEN_FOR_MERCHANT,
    PRAGMA_STATEMENTS,
    SYSTEM,
    Refused,
    Step,
    checked_pg_settings,
    checked_pragmas,
    drive,
    facts,
    negotiation_refusal,
)

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_fsm_log"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": "",  # set by Peer.setup
                "OPTIONS": {
                    "init_command": ";".join(PRAGMA_STATEMENTS),
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 30,
                },
            },
            "postgres": {  # psycopg 3 when installed; NAME, HOST, ... set by Peer.setup_postgres
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "",
            },
        },
        DATABASE_ROUTERS=["peers.django_fsm.Route"],  # imported when first used
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()

from django.contrib.auth.models import User  # after settings.configure: these need the apps ready
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections, models, transaction
from django_fsm import (
    RETURN_VALUE,
    ConcurrentTransitionMixin,
    FSMField,
    has_transition_perm,
    transition,
)
from django_fsm_log.decorators import fsm_log_by, fsm_log_description
from django_fsm_log.models import StateLog


class Route:
    """A database router (Django's documented hook): every model reads and writes the database
    of the peer set up last, ``default`` (SQLite) or ``postgres``."""

    alias = "default"

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return Route.alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return Route.alias


def role_of(user: User) -> str:
    return str(user.username).partition(":")[0]


def role_is(role: str) -> Callable[[Case, User], bool]:
    """A django-fsm ``permission``: the acting user's role."""
    return lambda _case, user: role_of(user) == role


def not_evidence_request(case: Case) -> bool:
    return bool(case.negotiation_type != "request_evidence")


def log_entry(at: datetime, data: Mapping[str, Any]) -> str:
    """The StateLog description: the step's own time and data, as JSON."""
    return json.dumps({"at": at.isoformat(), "data": dict(data)})


class Case(ConcurrentTransitionMixin, models.Model):
    case_id = models.CharField(max_length=64, unique=True)
    order_id = models.CharField(max_length=64)
    shop_id = models.CharField(max_length=64)
    buyer_id = models.CharField(max_length=64)
    type = models.CharField(max_length=32)
    category = models.CharField(max_length=32)
    paid_amount = models.IntegerField()
    requested_amount = models.IntegerField()
    buyer_reason = models.CharField(max_length=64)
    opened_at = models.DateTimeField()
    state = FSMField(default="requested", protected=True)
    version = models.PositiveIntegerField(default=1)
    negotiation_type = models.CharField(max_length=32, null=True)
    tracking_no = models.CharField(max_length=64, null=True)
    refund_amount = models.IntegerField(null=True)
    updated_at = models.DateTimeField()

    class Meta:
        app_label = "aftersales_peer"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=OPEN_FOR_MERCHANT, target="negotiating", permission=role_is("merchant")
    )
    def negotiate(self, *, by: User, description: str, at: datetime, **data: Any) -> None:
        if (why := negotiation_refusal(data)) is not None:
            raise Refused(why)
        self.negotiation_type, self.updated_at = data["negotiation_type"], at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source="negotiating",
        target=RETURN_VALUE("cancelled", "refunding", "awaiting_return"),
        conditions=[not_evidence_request],
        permission=role_is("buyer"),
    )
    def accept(self, *, by: User, description: str, at: datetime, **data: Any) -> str:
        self.updated_at = at
        if self.negotiation_type == "invite_cancel":
            return "cancelled"
        return "refunding" if self.type == "refund" else "awaiting_return"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=OPEN_FOR_MERCHANT,
        target=RETURN_VALUE("awaiting_return", "refunding"),
        permission=role_is("merchant"),
    )
    def agree(self, *, by: User, description: str, at: datetime, **data: Any) -> str:
        self.updated_at = at
        return "awaiting_return" if self.type == "return_refund" else "refunding"

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source="awaiting_return",
        target="awaiting_receipt",
        permission=role_is("buyer"),
    )
    def ship_return(self, *, by: User, description: str, at: datetime, **data: Any) -> None:
        if not data.get("tracking"):
            raise Refused("ship_return needs a tracking number")
        self.tracking_no, self.updated_at = data["tracking"], at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source="awaiting_receipt", target="refunding", permission=role_is("merchant")
    )
    def confirm_receipt(self, *, by: User, description: str, at: datetime, **data: Any) -> None:
        self.updated_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source="refunding", target="refunded", permission=role_is("system"))
    def refund_succeeded(self, *, by: User, description: str, at: datetime, **data: Any) -> None:
        self.refund_amount, self.updated_at = self.requested_amount, at


def declared() -> dict[str, set[tuple[str, str]]]:
    """Every (source, target) django-fsm declares per transition name, from its metadata."""
    allowed: dict[str, set[tuple[str, str]]] = {"open": {("", "requested")}}
    for t in Case._meta.get_field("state").get_all_transitions(Case):
        targets = getattr(t.target, "allowed_states", None) or [t.target]
        allowed.setdefault(t.name, set()).update((t.source, target) for target in targets)
    return allowed


class Peer:
    name = "django-fsm-2 + django-fsm-log"

    alias = "default"

    def setup(self, path: Path) -> None:
        self._connect("default", {"NAME": str(path)})
        self._pragmas = checked_pragmas(self._first)

    def setup_postgres(self, url: str) -> None:
        """Django's postgresql backend (psycopg 3), its defaults otherwise (READ COMMITTED, one
        connection kept for the process, no pool: ``CONN_MAX_AGE`` only acts in requests)."""
        parsed = make_url(url)
        self._connect(
            "postgres",
            {
                "NAME": parsed.database or "",
                "HOST": parsed.host or "127.0.0.1",
                "PORT": str(parsed.port or 5432),
                "USER": parsed.username or "postgres",
                "PASSWORD": parsed.password or "",
            },
        )
        self._pragmas = checked_pg_settings(self._first)

    def _connect(self, alias: str, where: dict[str, str]) -> None:
        self.alias = Route.alias = alias
        connection = connections[alias]
        connection.close()
        connection.settings_dict.update(where)
        ContentType.objects.clear_cache()  # content type ids belong to the previous database
        call_command("migrate", database=alias, verbosity=0, interactive=False)
        with connection.schema_editor() as editor:
            editor.create_model(Case)
        self.users = {
            a: User.objects.create(username=f"{a.role}:{a.id}") for a in (BUYER, MERCHANT, SYSTEM)
        }
        self.allowed = declared()

    def _first(self, sql: str) -> object:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def pragmas(self) -> dict[str, str]:
        return self._pragmas

    def open(self, case_id: str, kind: str) -> None:
        values = facts(case_id, kind)
        at = values["opened_at"]
        data = {k: v for k, v in values.items() if k != "case_id"} | {"opened_at": at.isoformat()}
        with transaction.atomic(using=self.alias):
            case = Case.objects.create(**values, updated_at=at)
            StateLog.objects.create(
                content_object=case,
                transition="open",
                source_state=None,
                state=case.state,
                by=self.users[BUYER],
                description=log_entry(at, data),
            )

    def step(self, case_id: str, step: Step) -> None:
        user = self.users[step.actor]
        with transaction.atomic(using=self.alias):
            case = Case.objects.get(case_id=case_id)
            method = getattr(case, step.event)
            if not has_transition_perm(method, user):
                raise Refused(f"{step.event} refused in {case.state} for {role_of(user)}")
            method(by=user, description=log_entry(step.at, step.data), at=step.at, **step.data)
            case.version += 1
            case.save()

    def run(self, case_ids: list[str], kind: str) -> None:
        drive(self, case_ids, kind)

    def replay(self, case_ids: list[str]) -> int:
        """Walk each case's StateLog rows: each must continue the last and be declared."""
        for case_id in case_ids:
            case = Case.objects.get(case_id=case_id)
            state = ""
            for name, source, target in (
                StateLog.objects.for_(case)
                .order_by("pk")
                .values_list("transition", "source_state", "state")
            ):
                if (source or "") != state or (state, target) not in self.allowed.get(name, ()):
                    raise AssertionError(f"{case.case_id}: {name} {source}->{target} after {state}")
                state = target
            if state != case.state:
                raise AssertionError(f"{case.case_id}: log ends in {state}, stored {case.state}")
        return len(case_ids)

    def final_states(self, case_ids: list[str]) -> dict[str, str]:
        rows = Case.objects.filter(case_id__in=case_ids).values_list("case_id", "state")
        return dict(rows)

    def close(self) -> None:
        connections[self.alias].close()
