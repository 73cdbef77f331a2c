"""What the server sends besides the pages themselves: the styled error pages, page
compression, and the production static files (compressed, cached for good)."""

from __future__ import annotations

import gzip
import importlib

import pytest
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.views import defaults
from whitenoise.middleware import WhiteNoiseMiddleware


def test_a_missing_page_says_where_to_go(viewer_client):
    response = viewer_client.get("/segments/no-such-thing/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "There is nothing at this address" in text
    assert "/segments/no-such-thing/" in text
    assert 'href="/"' in text  # back to the overview, inside the site's own layout


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/segments/999999999/", "No segment has this address"),
        ("/views/999999/", "No saved view you can open has this address"),
        ("/bulk/999999/", "No bulk run or page of one has this address"),
        ("/nope/", "Segment Desk has no page at this address"),
    ],
)
def test_a_missing_page_says_what_is_missing(viewer_client, path, said):
    text = viewer_client.get(path).content.decode()
    assert said in text
    assert f" (<code>{path}</code>)." in text
    # Only a segment's address explains how deleted segments keep their pages.
    assert ("keeps its page here" in text) == path.startswith("/segments/")


def test_a_viewer_typing_an_action_url_gets_the_styled_403(viewer_client):
    # The role is checked before the segment is looked up: no segment needed.
    response = viewer_client.get("/segments/7/extend/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "You are not allowed to do that" in text
    assert "Your role (Viewer) does not allow this" in text
    assert "Nothing was changed." in text


def test_the_500_page_needs_no_request_context_and_runs_no_script():
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong on our side" in text
    assert "<script" not in text
    assert "/static/css/desk" in text


def test_pages_are_compressed_for_a_browser_that_accepts_gzip(viewer_client):
    response = viewer_client.get("/segments/", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "<h1>Segments</h1>" in gzip.decompress(response.content).decode()
    plain = viewer_client.get("/segments/")
    assert "Content-Encoding" not in plain
    assert len(response.content) * 3 < len(plain.content)


@pytest.mark.django_db
def test_production_static_files_are_compressed_and_cached_for_good(tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "only-for-reading-the-production-settings")
    storages = importlib.import_module("dashboard.settings_production").STORAGES
    assert storages["staticfiles"]["BACKEND"].endswith("CompressedManifestStaticFilesStorage")
    with override_settings(
        STATIC_ROOT=tmp_path, STORAGES=storages, WHITENOISE_USE_FINDERS=False, DEBUG=False
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        from django.templatetags.static import static

        url = static("js/desk.js")
        assert url != "/static/js/desk.js"  # a content-hashed name
        served = WhiteNoiseMiddleware(get_response=lambda request: None)
        request = RequestFactory().get(url, headers={"Accept-Encoding": "gzip"})
        response = served(request)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert b"Segment Desk" in gzip.decompress(body)
