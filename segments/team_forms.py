"""The team's forms: review state, assignment and notes, on one segment or several of
the overview's queue at once. Each validated on the server."""

from __future__ import annotations

from django import forms

from segments.forms import SubmissionForm
from segments.models import Review

NOTE_MAX = 4000


class ReviewForm(forms.Form):
    """A segment's review state; the empty choice clears it (back to not reviewed)."""

    state = forms.ChoiceField(choices=[("", "Not reviewed"), *Review.State.choices], required=False)
    # The state the page showed (``NOT_SET`` for none): a change made since is not undone.
    seen = forms.CharField(required=False, max_length=40)


class AssignForm(forms.Form):
    """A segment's assignee, one of ``users`` (who may operate); the empty choice unassigns.
    Cleans to the user, or None."""

    assignee = forms.ChoiceField(
        required=False,
        label="Assign to",
        error_messages={"invalid_choice": "Assign to an operator of the desk, or to nobody."},
    )
    # The assignee's id the page showed (``NOT_SET`` for nobody), as ``ReviewForm.seen``.
    seen = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {str(u.pk): u for u in users}
        self.fields["assignee"].choices = [
            ("", "Nobody"),
            *((pk, u.get_username()) for pk, u in self.users.items()),
        ]

    def clean_assignee(self):
        return self.users.get(self.cleaned_data["assignee"])


class QueueSelectionForm(forms.Form):
    """Several segments of the overview's queue, at most ``MAX_SEGMENTS``."""

    MAX_SEGMENTS = 500

    selected = forms.TypedMultipleChoiceField(coerce=int, choices=())

    def __init__(self, *args, segment_ids: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        # Only segments that exist; anything else is refused as an invalid choice.
        self.fields["selected"].choices = [(str(i), str(i)) for i in segment_ids]
        self.fields["selected"].error_messages["required"] = "Select at least one segment."

    def clean_selected(self):
        selected = self.cleaned_data["selected"]
        if len(selected) > self.MAX_SEGMENTS:
            raise forms.ValidationError(f"Select at most {self.MAX_SEGMENTS} segments at once.")
        return selected


class QueueReviewForm(QueueSelectionForm):
    """Several segments of the queue set to one review state at once."""

    state = forms.ChoiceField(choices=Review.State.choices)


class QueueAssignForm(QueueSelectionForm, AssignForm):
    """Several segments of the queue assigned to one team member (or nobody) at once."""


class NoteForm(forms.Form):
    """A new note, or a note's new text."""

    text = forms.CharField(
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note",
        error_messages={
            "required": "The note is empty: write something first.",
            "max_length": f"A note has at most {NOTE_MAX:,} characters: shorten it.",
        },
    )

    # The note's version the edit form was loaded with (``Note.version``).
    seen = forms.CharField(required=False, max_length=64)

    def error(self) -> str:
        """What is wrong, in one sentence for the team panel."""
        return next(iter(self.errors.values()))[0]


class NewNoteForm(SubmissionForm, NoteForm):
    """A new note, with a one-time token: sent twice (a double click, a reload after
    the post), it is added once. An edit sets the same text again: it needs none."""


def team_forms(review: Review | None) -> dict[str, forms.Form]:
    """The review and note forms of a segment's team panel."""
    return {
        "review_form": ReviewForm(initial={"state": review.state if review else None}),
        "note_form": NewNoteForm(),
    }
