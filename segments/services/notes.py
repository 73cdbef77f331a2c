"""The team's notes on a segment: add; edit and delete by their author only. Audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from segments.models import AuditEvent, Note
from segments.services.audit import Actor, audit_record

AUDITED_CHARS = 500


class NotTheAuthor(PermissionDenied):
    """Only a note's author may change it; nothing was changed."""


class NoteChanged(Exception):
    """The note was edited since the form was loaded (the author's other tab): saving
    the form would undo that edit unseen."""


def note_add(*, actor: Actor, segment_id: int, text: str) -> Note:
    with transaction.atomic():
        note = Note.objects.create(segment_id=segment_id, author=actor.user, text=text)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.NOTE,
            outcome=AuditEvent.Outcome.DONE,
            segment_id=segment_id,
            after={"note": text[:AUDITED_CHARS]},
            message="Note added.",
        )
    return note


def _own_note(*, actor: Actor, note_id: int, segment_id: int) -> Note:
    """The note, locked; ``Note.DoesNotExist`` if gone, ``NotTheAuthor`` if not the actor's."""
    note = (
        Note.objects.select_for_update(of=("self",))
        .select_related("author")
        .get(pk=note_id, segment_id=segment_id)
    )
    if note.author_id is None or note.author_id != getattr(actor.user, "pk", None):
        who = note.author.username if note.author else "its author"
        raise NotTheAuthor(f"Only {who}, who wrote this note, can change it: nothing was changed.")
    return note


def note_edit(
    *, actor: Actor, segment_id: int, note_id: int, text: str, seen: str | None = None
) -> Note:
    """The author's new text, marked edited; the same text changes (and audits) nothing.
    ``NoteChanged`` if the note is no longer the version ``seen`` (``Note.version``)."""
    with transaction.atomic():
        note = _own_note(actor=actor, note_id=note_id, segment_id=segment_id)
        if note.text == text:
            return note
        if seen is not None and note.version != seen:
            raise NoteChanged(note_id)
        before = note.text
        note.text = text
        note.edited_at = timezone.now()
        note.save(update_fields=["text", "edited_at"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.NOTE_EDIT,
            outcome=AuditEvent.Outcome.DONE,
            segment_id=segment_id,
            before={"note": before[:AUDITED_CHARS]},
            after={"note": text[:AUDITED_CHARS]},
            message="Note edited.",
        )
    return note


def note_delete(*, actor: Actor, segment_id: int, note_id: int) -> None:
    with transaction.atomic():
        note = _own_note(actor=actor, note_id=note_id, segment_id=segment_id)
        text = note.text
        note.delete()
        audit_record(
            actor=actor,
            action=AuditEvent.Action.NOTE_DELETE,
            outcome=AuditEvent.Outcome.DONE,
            segment_id=segment_id,
            before={"note": text[:AUDITED_CHARS]},
            after={"note": None},
            message="Note deleted.",
        )
