"""Alert mail through a real SMTP server: it arrives, parses as MIME, its links work."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.email_url import mailer_from_url
from segments.alerts.mail import alert_mail_send
from segments.alerts.messages import AlertLine
from segments.models import Segment

pytestmark = pytest.mark.django_db


def _lines(count: int) -> list[AlertLine]:
    soon = Segment.objects.visible().filter(end_date__lte=timezone.now() + timedelta(days=7))
    rows = list(soon.order_by("end_date")[:count])
    assert len(rows) == count
    return [
        AlertLine(s.segment_id, s.name, "Ends within 7 days", f"ends {s.end_date:%Y-%m-%d}")
        for s in rows
    ]


def test_the_digest_arrives_with_text_and_html_and_its_links_work(
    synced, smtp_server, settings, client, operator
):
    settings.SITE_URL = "https://desk.example.test"
    alerts = _lines(3)
    alert_mail_send(to="otto@example.test", greeting="otto", alerts=alerts, digest=True)

    [message] = smtp_server.messages
    assert smtp_server.envelopes[0][1] == ["otto@example.test"]
    assert message["Subject"] == "Segment Desk digest: 3 alerts"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for alert in alerts:
        assert alert.url in text
        assert alert.segment_name.replace("&", "&amp;") in html
    links = re.findall(r'href="([^"]+)"', html)
    assert len(links) == 4  # each segment and the overview
    client.force_login(operator)
    for link in links:
        assert link.startswith("https://desk.example.test/")
        page = client.get(link.removeprefix("https://desk.example.test"))
        assert page.status_code == 200, link
    assert "sbx-secret-token" not in text + html


def test_an_urgent_mail_names_the_condition_and_segment(synced, smtp_server):
    [alert] = _lines(1)
    alert_mail_send(to="a@example.test", greeting="a", alerts=[alert], digest=False)
    [message] = smtp_server.messages
    assert message["Subject"] == f"Segment Desk: Ends within 7 days · {alert.segment_name}"


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        (
            "submission://desk%40corp:p%40ss@mail.corp:2525",
            "smtp",
            {"host": "mail.corp", "port": 2525, "use_tls": True, "username": "desk@corp"},
        ),
        ("smtps://mail.corp", "smtp", {"port": 465, "use_ssl": True, "use_tls": False}),
        ("smtp://mail.corp?tls=1", "smtp", {"port": 25, "use_tls": True}),
        ("file:///var/mail/desk", "filebased", {"file_path": "/var/mail/desk"}),
        ("console:", "console", {}),
    ],
)
def test_email_url_configures_the_default_mailer(url, backend, options):
    mailer = mailer_from_url(url)
    assert mailer["BACKEND"] == f"django.core.mail.backends.{backend}.EmailBackend"
    assert options.items() <= mailer.get("OPTIONS", {}).items()


def test_an_unknown_email_url_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        mailer_from_url("http://mail.corp")
