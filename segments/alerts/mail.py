"""Alert mail: an immediate message for urgent alerts, a digest for the rest.

Sent through Django's mailers (``MAILERS``, set from ``EMAIL_URL``), as plain
text with an HTML alternative; every link is absolute (``SITE_URL``). Nothing
secret goes in: segment names, conditions and counts only.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from segments.alerts.messages import AlertLine, absolute_url


def alert_mail(
    *, to: str, greeting: str, alerts: Sequence[AlertLine], digest: bool
) -> EmailMultiAlternatives:
    """The message for ``alerts`` (a digest, or one immediate mail for urgent ones)."""
    if digest:
        count = len(alerts)
        subject = f"Segment Desk digest: {count} alert{'' if count == 1 else 's'}"
    else:
        first = alerts[0]
        subject = f"Segment Desk: {first.condition} · {first.segment_name}"
        if len(alerts) > 1:
            subject += f" (+{len(alerts) - 1} more)"
    context = {
        "greeting": greeting,
        "alerts": alerts,
        "digest": digest,
        "overview_url": absolute_url(reverse("overview")),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("alerts/email/alerts.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string("alerts/email/alerts.html", context), "text/html")
    return message


def alert_mail_send(*, to: str, greeting: str, alerts: Sequence[AlertLine], digest: bool) -> None:
    """Send the mail now; raises what the mailer raises (the caller's task retries)."""
    if alerts:
        alert_mail(to=to, greeting=greeting, alerts=alerts, digest=digest).send()
