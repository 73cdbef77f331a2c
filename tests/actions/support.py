"""What the action tests share: the HTMX header, a segment as the remote has it, and a
form's hidden fields (its token and the version it was opened at)."""

from __future__ import annotations

import re

from segments import remote

HTMX = {"HX-Request": "true"}


def remote_segment(segment_id):
    with remote.segment_api() as client:
        return client.segment(segment_id=segment_id)


def form_fields(html: str) -> dict:
    return {
        name: value
        for name, value in re.findall(r'name="(form_token|expected_updated)" value="([^"]*)"', html)
    }


def open_form(client, url) -> dict:
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    return form_fields(response.text)


def confirm_token(html: str) -> str:
    return form_fields(html)["form_token"]


def note_form_token(client, segment_id: int) -> str:
    """The one-time token of the segment page's "Add note" form."""
    page = client.get(f"/segments/{segment_id}/").text
    form = page.split('class="note-form"', 1)[1].split("</form>", 1)[0]
    return form_fields(form)["form_token"]
