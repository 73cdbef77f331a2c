"""Notes: their author edits or deletes them (audited, "edited" shown); nobody else can."""

from __future__ import annotations

import pytest

from segments.models import AuditEvent, Note, Segment
from tests.actions.support import note_form_token
from tests.conftest import make_user
from tests.test_team_queue import HTMX


@pytest.fixture
def segment_id(synced) -> int:
    return Segment.objects.visible().order_by("segment_id").values_list("segment_id", flat=True)[0]


@pytest.fixture
def note(operator, segment_id) -> Note:
    return Note.objects.create(segment_id=segment_id, author=operator, text="First words")


def urls(note: Note) -> tuple[str, str]:
    base = f"/segments/{note.segment_id}/notes/{note.pk}"
    return f"{base}/edit/", f"{base}/delete/"


def test_a_note_sent_twice_is_added_once(client, operator, segment_id):
    """A double click, or a reload after the post: the README's "processed once"."""
    client.force_login(operator)
    sent = {
        "text": "Keep until the campaign ends",
        "form_token": note_form_token(client, segment_id),
    }
    url = f"/segments/{segment_id}/notes/"
    first = client.post(url, sent, headers=HTMX)
    assert "Note added." in first.text
    # The panel comes back with a new token: the next note is a new submission.
    assert sent["form_token"] not in first.text
    assert 'name="form_token"' in first.text.split('class="note-form"', 1)[1]
    second = client.post(url, sent, headers=HTMX)
    assert "This form was already submitted: it was not processed twice." in second.text
    assert Note.objects.filter(segment_id=segment_id).count() == 1
    assert AuditEvent.objects.filter(action="note").count() == 1
    forged = client.post(url, {"text": "Forged", "form_token": "not-signed"}, headers=HTMX)
    assert "This form is out of date: reload the page." in forged.text
    client.post(url, {"text": "No token"}, headers=HTMX)
    assert Note.objects.filter(segment_id=segment_id).count() == 1


def test_the_author_edits_a_note_in_place_and_it_shows_edited(client, operator, note):
    client.force_login(operator)
    edit, _ = urls(note)
    response = client.post(edit, {"text": "Better words"}, headers=HTMX)
    assert response.status_code == 200
    html = response.text
    assert 'id="team"' in html
    assert "Better words" in html
    assert "First words" not in html
    assert " · edited " in html
    assert f'data-focus="note-{note.pk}"' in html
    assert "Note saved." in html  # out of band, for the live region
    note.refresh_from_db()
    assert note.text == "Better words"
    assert note.edited_at is not None
    event = AuditEvent.objects.get(action="note_edit")
    assert (event.before, event.after) == ({"note": "First words"}, {"note": "Better words"})
    assert (event.segment_id, event.username, event.message) == (
        note.segment_id,
        "otto",
        "Note edited.",
    )
    # The same text again changes and audits nothing.
    client.post(edit, {"text": "Better words"}, headers=HTMX)
    assert AuditEvent.objects.filter(action="note_edit").count() == 1


def test_a_note_edited_in_another_tab_is_not_overwritten_and_the_text_is_kept(
    client, operator, note
):
    client.force_login(operator)
    edit, _ = urls(note)
    page = client.get(f"/segments/{note.segment_id}/").text  # both tabs show this
    assert '<input type="hidden" name="seen" value="never edited">' in page
    first = client.post(edit, {"text": "Version A", "seen": "never edited"}, headers=HTMX)
    assert "Note saved." in first.text
    second = client.post(edit, {"text": "Version B", "seen": "never edited"}, headers=HTMX)
    assert "Not saved: this note was edited in another tab or window" in second.text
    note.refresh_from_db()
    assert note.text == "Version A"
    # The panel shows the note as it is, and the unsaved text in its open edit box.
    assert "<p>Version A</p>" in second.text
    assert "<details open>" in second.text
    assert f'id="note-{note.pk}-text" rows="3" maxlength="4000" required>Version B<' in second.text
    assert f'data-focus="note-{note.pk}-text"' in second.text
    again = client.post(edit, {"text": "Version B", "seen": note.version}, headers=HTMX)
    assert "Note saved." in again.text
    note.refresh_from_db()
    assert note.text == "Version B"
    assert AuditEvent.objects.filter(action="note_edit").count() == 2


def test_the_author_deletes_a_note_after_confirming_it(client, operator, note):
    client.force_login(operator)
    page = client.get(f"/segments/{note.segment_id}/").text
    assert "<summary>Delete…</summary>" in page
    assert "Delete this note for good?" in page  # the confirmation, before the button
    _, delete = urls(note)
    response = client.post(delete)  # the plain form: back to the page
    assert response.status_code == 302
    assert response["Location"] == f"/segments/{note.segment_id}/"
    assert not Note.objects.exists()
    event = AuditEvent.objects.get(action="note_delete")
    assert (event.before, event.after) == ({"note": "First words"}, {"note": None})
    assert "Note deleted." in client.get(response["Location"]).text
    # Deleting it again: a clear error, not a 500.
    response = client.post(delete, headers=HTMX)
    assert response.status_code == 200
    assert "That note is gone (deleted meanwhile?): nothing was changed." in response.text


def test_another_operator_can_neither_edit_nor_delete_it(client, note):
    client.force_login(make_user("olga", "Operator"))
    page = client.get(f"/segments/{note.segment_id}/").text
    assert "First words" in page
    assert f"/notes/{note.pk}/edit/" not in page  # no controls for someone else's note
    for url in urls(note):
        response = client.post(url, {"text": "Hijacked"})
        assert response.status_code == 403
        assert "Only otto, who wrote this note, can change it: nothing was changed." in (
            response.text
        )
    note.refresh_from_db()
    assert note.text == "First words"
    assert note.edited_at is None
    assert not AuditEvent.objects.filter(action__in=["note_edit", "note_delete"]).exists()


def test_a_viewer_is_refused_and_anonymous_sent_to_log_in(client, viewer, note):
    client.force_login(viewer)
    assert f"/notes/{note.pk}/edit/" not in client.get(f"/segments/{note.segment_id}/").text
    for url in urls(note):
        assert client.post(url, {"text": "Viewer words"}).status_code == 403
    client.logout()
    for url in urls(note):
        response = client.post(url, {"text": "Anonymous words"})
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    note.refresh_from_db()
    assert note.text == "First words"
    assert not AuditEvent.objects.exists()


def test_a_note_of_another_segment_or_empty_text_is_refused(client, operator, note):
    client.force_login(operator)
    other = Segment.objects.exclude(segment_id=note.segment_id).values_list("segment_id", flat=True)
    wrong = f"/segments/{other[0]}/notes/{note.pk}/edit/"
    response = client.post(wrong, {"text": "Elsewhere"}, headers=HTMX)
    assert "That note is gone" in response.text
    edit, _ = urls(note)
    response = client.post(edit, {"text": "   "}, headers=HTMX)
    assert "The note is empty: write something first." in response.text
    response = client.post(edit, {"text": "x" * 4001}, headers=HTMX)
    assert "A note has at most 4,000 characters: shorten it." in response.text
    assert client.get(edit).status_code == 405  # only POST changes a note
    note.refresh_from_db()
    assert note.text == "First words"
