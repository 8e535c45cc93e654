"""/api/v1/events/{event_id}/questions: the questions an event's registration form asks."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlmodel import Session

from aqstream.api import schemas
from aqstream.api.deps import PREFIX, db, identity
from aqstream.api.outputs import question_out
from aqstream.services.events import events, questions
from aqstream.services.org.api_tokens import ApiIdentity

router = APIRouter(prefix=PREFIX)


@router.get("/events/{event_id}/questions", response_model=list[schemas.QuestionOut], tags=["events"])
def list_questions(event_id: schemas.Id, who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    event = events.get_event(session, who.principal, who.organization_id, event_id)
    return [question_out(q) for q in questions.active_questions(session, event.id)]


@router.post("/events/{event_id}/questions", response_model=schemas.QuestionOut, status_code=201, tags=["events"])
def create_question(
    event_id: schemas.Id, body: schemas.QuestionIn, who: ApiIdentity = Depends(identity), session: Session = Depends(db)
):
    q = questions.add_question(session, who.principal, who.organization_id, event_id, questions.QuestionInput(
        label=body.label, kind=body.kind, required=body.required, scope=body.scope, options=body.options,
        help_text=body.help_text))
    return question_out(q)


@router.put("/events/{event_id}/questions/{question_id}", response_model=schemas.QuestionOut, tags=["events"])
def update_question(event_id: schemas.Id, question_id: schemas.Id, body: schemas.QuestionIn,
                    who: ApiIdentity = Depends(identity), session: Session = Depends(db)):
    """Change a question. Once it has answers, its kind and scope stay, and so do the choices people picked."""
    q = questions.update_question(session, who.principal, who.organization_id, event_id, question_id,
                                  questions.QuestionInput(label=body.label, kind=body.kind, required=body.required,
                                                          scope=body.scope, options=body.options,
                                                          help_text=body.help_text))
    return question_out(q)


@router.delete("/events/{event_id}/questions/{question_id}", status_code=204, tags=["events"])
def delete_question(event_id: schemas.Id, question_id: schemas.Id, who: ApiIdentity = Depends(identity),
                    session: Session = Depends(db)):
    questions.remove_question(session, who.principal, who.organization_id, event_id, question_id)
    return Response(status_code=204)
