"""Views of the team's layer: review state, assignment and notes of one segment (its
detail page's team panel), and review or assignment of several queue items at once.

Operators change things (viewers get 403), every write is a POST with CSRF. For
HTMX the refreshed panel (or queue) is the answer, with its message out of band
and the header's "Assigned to me" count; without it, a redirect back to the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from segments import selectors
from segments.action_views import actor_of, submission_accepted
from segments.models import Note, Review, Segment
from segments.permissions import OPERATE
from segments.services import assignment, notes, review
from segments.team_forms import (
    AssignForm,
    NewNoteForm,
    NoteForm,
    QueueAssignForm,
    QueueReviewForm,
    ReviewForm,
    team_forms,
)


@require_POST
@permission_required(OPERATE, raise_exception=True)
def segment_review(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(segment_id=segment_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _team_response(request, segment, "Choose a review state.", error=True)
    actor, state = actor_of(request), form.cleaned_data["state"]
    seen = form.cleaned_data["seen"] or None
    try:
        if state:
            now = review.review_set(actor=actor, segment_id=segment_id, state=state, seen=seen)
            text = f"Review state set to {now.get_state_display()}."
        else:
            review.review_clear(actor=actor, segment_id=segment_id, seen=seen)
            text = "Review state cleared: not reviewed."
    except review.SegmentDeleted as refused:
        return _team_response(request, segment, str(refused), error=True)
    except review.TeamChanged as changed:
        return _team_response(request, segment, str(changed), error=True, focus="review-state")
    return _team_response(request, segment, text, focus="review-state")


@require_POST
@permission_required(OPERATE, raise_exception=True)
def segment_assign(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(segment_id=segment_id)
    form = AssignForm(request.POST, users=selectors.assignable_users())
    if not form.is_valid():
        text = " ".join(form.errors["assignee"])
        return _team_response(request, segment, text, error=True, focus="assignee")
    assignee = form.cleaned_data["assignee"]
    try:
        assignment.assignment_set(
            actor=actor_of(request),
            segment_id=segment_id,
            assignee=assignee,
            seen=form.cleaned_data["seen"] or None,
        )
    except review.SegmentDeleted as refused:
        return _team_response(request, segment, str(refused), error=True)
    except review.TeamChanged as changed:
        return _team_response(request, segment, str(changed), error=True, focus="assignee")
    text = f"Assigned to {assignee.get_username()}." if assignee else "Assigned to nobody."
    return _team_response(request, segment, text, focus="assignee")


@require_POST
@permission_required(OPERATE, raise_exception=True)
def segment_note(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.segment_get(segment_id=segment_id)
    form = NewNoteForm(request.POST)
    if form.is_valid() and submission_accepted(request, form):
        notes.note_add(
            actor=actor_of(request), segment_id=segment_id, text=form.cleaned_data["text"]
        )
        return _team_response(request, segment, "Note added.", focus="notes")
    return _team_response(request, segment, form.error(), error=True, focus="notes")


@require_POST
@permission_required(OPERATE, raise_exception=True)
def note_edit(request: HttpRequest, segment_id: int, note_id: int) -> HttpResponse:
    """The author's new text (anyone else: 403, nothing changed)."""
    segment = selectors.segment_get(segment_id=segment_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _team_response(request, segment, form.error(), error=True, focus=f"note-{note_id}")
    text = form.cleaned_data["text"]
    try:
        notes.note_edit(
            actor=actor_of(request),
            segment_id=segment_id,
            note_id=note_id,
            text=text,
            seen=form.cleaned_data["seen"] or None,
        )
    except Note.DoesNotExist:
        return _note_gone(request, segment)
    except notes.NotTheAuthor as refused:
        return _not_the_author(request, refused)
    except notes.NoteChanged:
        said = (
            "Not saved: this note was edited in another tab or window since this page was "
            "loaded. It is shown as it is now, with your text kept in its box: save again "
            "to replace it."
        )
        kept = {"note_id": note_id, "text": text}
        return _team_response(
            request, segment, said, error=True, focus=f"note-{note_id}-text", kept=kept
        )
    return _team_response(request, segment, "Note saved.", focus=f"note-{note_id}")


@require_POST
@permission_required(OPERATE, raise_exception=True)
def note_delete(request: HttpRequest, segment_id: int, note_id: int) -> HttpResponse:
    """Delete the author's note, confirmed in the panel first (anyone else: 403)."""
    segment = selectors.segment_get(segment_id=segment_id)
    try:
        notes.note_delete(actor=actor_of(request), segment_id=segment_id, note_id=note_id)
    except Note.DoesNotExist:
        return _note_gone(request, segment)
    except notes.NotTheAuthor as refused:
        return _not_the_author(request, refused)
    return _team_response(request, segment, "Note deleted.", focus="notes")


def _note_gone(request, segment: Segment) -> HttpResponse:
    text = "That note is gone (deleted meanwhile?): nothing was changed."
    return _team_response(request, segment, text, error=True, focus="notes")


def _not_the_author(request, refused: notes.NotTheAuthor) -> HttpResponse:
    return render(request, "403.html", {"reason": str(refused)}, status=403)


def _team_response(
    request,
    segment: Segment,
    text: str,
    *,
    error: bool = False,
    focus: str = "",
    kept: dict | None = None,
) -> HttpResponse:
    """HTMX: the refreshed team panel with ``focus`` (an element's id) to take focus, and
    the message out of band (an error shows in the panel); else back to the page.
    ``kept``: a note's text not saved (``note_id``, ``text``), back in its edit box."""
    if not request.htmx:
        if kept:  # no box to put it back in: the message holds it
            text += f" Your text: “{kept['text']}”"
        (messages.error if error else messages.success)(request, text)
        return redirect("segment-detail", segment_id=segment.segment_id)
    if not error:
        messages.success(request, text)
    team = selectors.team_context(segment=segment)
    context = {
        **team,
        **team_forms(team["review"]),
        "team_error": text if error else "",
        "focus": focus,
        "kept": kept or {},
    }
    return render(request, "segments/segment_detail.html#team", context)


# --- the overview's queue ------------------------------------------------------------


def _queue_selection(request) -> set[int]:
    """The posted segment ids that are visible segments (one over the limit, to refuse)."""
    asked = [int(v) for v in request.POST.getlist("selected") if v.isdigit()]
    return set(selectors.segment_ids_visible(segment_ids=asked[: QueueReviewForm.MAX_SEGMENTS + 1]))


@require_POST
@permission_required(OPERATE, raise_exception=True)
def queue_review(request: HttpRequest) -> HttpResponse:
    """Acknowledge or resolve several segments of the overview's queue at once."""
    form = QueueReviewForm(request.POST, segment_ids=_queue_selection(request))
    if form.is_valid():
        selected, state = form.cleaned_data["selected"], form.cleaned_data["state"]
        changed = review.reviews_set(actor=actor_of(request), segment_ids=selected, state=state)
        label = Review.State(state).label
        messages.success(request, _changed_text(selected, changed, label))
    return _queue_response(request, form)


@require_POST
@permission_required(OPERATE, raise_exception=True)
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Assign several segments of the overview's queue to one team member (or nobody)."""
    form = QueueAssignForm(
        request.POST, segment_ids=_queue_selection(request), users=selectors.assignable_users()
    )
    if form.is_valid():
        selected, assignee = form.cleaned_data["selected"], form.cleaned_data["assignee"]
        changed = assignment.assignments_set(
            actor=actor_of(request), segment_ids=selected, assignee=assignee
        )
        whom = assignee.get_username() if assignee else "nobody"
        messages.success(request, _changed_text(selected, changed, f"assigned to {whom}"))
    return _queue_response(request, form)


def _changed_text(selected: list[int], changed: list[int], done: str) -> str:
    """What a queue action did: "2 segments: Acknowledged. 1 segment already was."
    (a stale tab, or some in that state already), or that nothing changed; and how
    many were left alone as deleted on the platform since they were chosen."""
    gone = len(selected) - len(selectors.segment_ids_visible(segment_ids=selected))
    already = len(selected) - len(changed) - gone
    if changed:
        text = f"{_segments(len(changed))}: {done}."
        if already:
            text += f" {_segments(already)} already {'was' if already == 1 else 'were'}."
    elif already:
        text = f"{_segments(already)}: already {done[:1].lower()}{done[1:]}, nothing changed."
    else:
        text = "Nothing changed."
    if gone:
        text += f" {_segments(gone)} deleted on the platform meanwhile: left alone."
    return text


def _segments(count: int) -> str:
    return f"{count} segment{'s' if count != 1 else ''}"


def _queue_response(request, form) -> HttpResponse:
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    if not request.htmx:
        return redirect("overview")
    return render(request, "segments/overview.html#queue", selectors.overview())
