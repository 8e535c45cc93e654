"""Custom registration questions: the organizer's editor, and checking a registrant's answers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from aqstream.db import begin_write
from aqstream.models import Answer, Question
from aqstream.services.errors import NotFound, ValidationError
from aqstream.services.events.events import get_event
from aqstream.services.notify import domain_events
from aqstream.services.org.permissions import MANAGE_EVENTS, Principal
from aqstream.services.validation import Checker

KINDS = ("short_text", "long_text", "single_choice", "multiple_choice", "checkbox")
SCOPES = ("order", "attendee")
CHOICE_KINDS = ("single_choice", "multiple_choice")
MAX_LEN = {"short_text": 300, "long_text": 5000}
MAX_QUESTIONS = 50
TRUE_WORDS = {"true", "on", "yes", "1"}


@dataclass
class QuestionInput:
    label: str
    kind: str
    required: bool = False
    scope: str = "order"
    options: list[str] = field(default_factory=list)
    help_text: str = ""


def _check(checker: Checker, data: QuestionInput) -> tuple[str, str, list[str]]:
    """A question's label, help text and options, checked; errors go into the checker."""
    label = checker.text("label", data.label, max_len=300)
    help_text = checker.text("help_text", data.help_text, max_len=1000, required=False)
    if data.kind not in KINDS:
        checker.fail("kind", "question.kind_invalid")
    if data.scope not in SCOPES:
        checker.fail("scope", "question.scope_invalid")
    options = [o.strip() for o in (data.options or []) if o and o.strip()]
    if data.kind in CHOICE_KINDS:
        if len(options) < 2:
            checker.fail("options", "question.options_required")
        elif len(options) > 50 or any(len(o) > 200 for o in options) or len(set(options)) != len(options):
            checker.fail("options", "question.options_invalid")
    else:
        options = []
    return label, help_text, options


def add_question(session: Session, principal: Principal, organization_id: int, event_id: int, data: QuestionInput) -> Question:
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    checker = Checker()
    label, help_text, options = _check(checker, data)
    checker.raise_if_any()
    begin_write(session)
    count = session.exec(select(func.count(Question.id)).where(Question.event_id == event.id, Question.active)).one()
    if count >= MAX_QUESTIONS:
        session.rollback()
        raise ValidationError({"label": "question.too_many"})
    question = Question(
        event_id=event.id,
        label=label,
        help_text=help_text,
        kind=data.kind,
        options=options,
        required=bool(data.required),
        scope=data.scope,
        sort_order=count,
    )
    session.add(question)
    session.flush()
    domain_events.record(session, "question.added", {"question_id": question.id, "event_id": event.id},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    return question


def remove_question(session: Session, principal: Principal, organization_id: int, event_id: int, question_id: int) -> None:
    """Stop asking a question. Answers already given stay with their orders."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    begin_write(session)
    changed = session.exec(
        update(Question).where(Question.id == question_id, Question.event_id == event.id, Question.active).values(active=False)
    )
    if changed.rowcount != 1:
        session.rollback()
        raise NotFound()
    domain_events.record(session, "question.removed", {"question_id": question_id, "event_id": event.id},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()


def update_question(session: Session, principal: Principal, organization_id: int, event_id: int, question_id: int,
                    data: QuestionInput) -> Question:
    """Change a question that is still asked. Its label, help text and whether it is required can always
    change (they apply to the next registrations). Once someone has answered it, its answer type and whom it
    is asked of stay, and a choice someone picked stays among the options: the answers given must keep
    meaning what they meant."""
    event = get_event(session, principal, organization_id, event_id, MANAGE_EVENTS)
    checker = Checker()
    label, help_text, options = _check(checker, data)
    checker.raise_if_any()
    begin_write(session)
    question = session.exec(
        select(Question).where(Question.id == question_id, Question.event_id == event.id, Question.active)
        .with_for_update()
    ).first()
    if question is None:
        session.rollback()
        raise NotFound()
    given = session.exec(select(Answer.value).where(Answer.question_id == question.id)).all()
    if given:
        if data.kind != question.kind:
            checker.fail("kind", "question.kind_locked")
        if data.scope != question.scope:
            checker.fail("scope", "question.scope_locked")
        if data.kind in CHOICE_KINDS and "kind" not in checker.errors:
            chosen = {v for value in given for v in (value if isinstance(value, list) else [value])
                      if isinstance(v, str)}
            missing = [o for o in question.options if o in chosen and o not in options]
            if missing:
                session.rollback()
                raise ValidationError({"options": "question.option_in_use"}, option=missing[0])
    if checker.errors:
        session.rollback()
        checker.raise_if_any()
    changed = sorted(k for k, v in (("label", label), ("help_text", help_text), ("kind", data.kind),
                                    ("scope", data.scope), ("options", options), ("required", bool(data.required)))
                     if getattr(question, k) != v)
    if not changed:
        session.rollback()
        return question
    question.label, question.help_text, question.kind = label, help_text, data.kind
    question.scope, question.options, question.required = data.scope, options, bool(data.required)
    session.add(question)
    session.flush()
    domain_events.record(session, "question.changed", {"question_id": question.id, "event_id": event.id,
                                                       "changed": changed},
                         organization_id=organization_id, actor_user_id=principal.user_id)
    session.commit()
    session.refresh(question)
    return question


def active_questions(session: Session, event_id: int) -> list[Question]:
    return list(
        session.exec(
            select(Question).where(Question.event_id == event_id, Question.active).order_by(Question.sort_order, Question.id)
        ).all()
    )


def for_registration(session: Session, event_id: int) -> tuple[list[Question], set[str]]:
    """The questions to ask, and the ids of removed ones (a form loaded before may still send them)."""
    everything = session.exec(
        select(Question).where(Question.event_id == event_id).order_by(Question.sort_order, Question.id)
    ).all()
    return [q for q in everything if q.active], {str(q.id) for q in everything if not q.active}


def clean_answers(
    questions: list[Question], raw: dict[str, Any] | None, checker: Checker, prefix: str, removed: set[str] = frozenset()
) -> dict[int, Any]:
    """Check answers to the given questions; errors go to `{prefix}.{question id}`. Answers to questions the
    organizer removed after the form was loaded are dropped; any other unknown key is refused."""
    raw = raw or {}
    known = {str(q.id) for q in questions}
    for key in raw:
        if str(key) not in known and str(key) not in removed:
            checker.fail(f"{prefix}.{key}", "question.unknown")
    clean: dict[int, Any] = {}
    for q in questions:
        name = f"{prefix}.{q.id}"
        value = raw.get(str(q.id), raw.get(q.id))  # type: ignore[call-overload]
        if q.kind in MAX_LEN:
            text = value if isinstance(value, str) else ("" if value is None else None)
            if text is None:
                checker.fail(name, "question.answer_invalid")
                continue
            text = text.strip()
            if not text:
                if q.required:
                    checker.fail(name, "field.required")
                continue
            if len(text) > MAX_LEN[q.kind]:
                checker.fail(name, "field.too_long")
                continue
            clean[q.id] = text
        elif q.kind == "single_choice":
            if value in (None, ""):
                if q.required:
                    checker.fail(name, "question.choose_one")
                continue
            if value not in q.options:
                checker.fail(name, "question.answer_invalid")
                continue
            clean[q.id] = value
        elif q.kind == "multiple_choice":
            values = [value] if isinstance(value, str) and value else (value or [])
            if not isinstance(values, list) or any(v not in q.options for v in values):
                checker.fail(name, "question.answer_invalid")
                continue
            if not values:
                if q.required:
                    checker.fail(name, "question.choose_some")
                continue
            clean[q.id] = [o for o in q.options if o in values]  # in the organizer's order, no duplicates
        else:  # checkbox
            if isinstance(value, bool):
                checked = value
            elif value in (None, ""):
                checked = False
            elif isinstance(value, str) and value.lower() in TRUE_WORDS | {"false", "off", "no", "0"}:
                checked = value.lower() in TRUE_WORDS
            else:
                checker.fail(name, "question.answer_invalid")
                continue
            if q.required and not checked:
                checker.fail(name, "question.must_check")
                continue
            clean[q.id] = checked
    return clean


def answers_by_order(session: Session, order_ids: list[int]) -> dict[int, list[tuple[Answer, Question]]]:
    """Answers of the given orders with their questions, for the organizer's views."""
    result: dict[int, list[tuple[Answer, Question]]] = {oid: [] for oid in order_ids}
    if not order_ids:
        return result
    rows = session.exec(
        select(Answer, Question)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.order_id.in_(order_ids))
        .order_by(Question.sort_order, Question.id)
    ).all()
    for answer, question in rows:
        result[answer.order_id].append((answer, question))
    return result


def format_value(question: Question, value: Any, yes: str = "yes", no: str = "no") -> str:
    if question.kind == "checkbox":
        return yes if value else no
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


