"""``EMAIL_URL`` → the default entry of Django's ``MAILERS`` setting.

- ``smtp://user:password@host:25`` (``?tls=1`` for STARTTLS), ``submission://…``
  (port 587, STARTTLS), ``smtps://…`` (port 465, TLS from the start);
- ``file:///absolute/dir`` writes each mail to a file there;
- ``console:`` prints mails; ``locmem:`` keeps them in memory (tests).

User and password may be percent-encoded. Any other scheme is refused.
"""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_BACKENDS = "django.core.mail.backends"
_SMTP_PORTS = {"smtp": 25, "submission": 587, "smtps": 465}


def mailer_from_url(url: str) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in _SMTP_PORTS:
        tls = parse_qs(parts.query).get("tls", [""])[0].lower() in ("1", "true", "yes")
        options = {
            "host": parts.hostname or "localhost",
            "port": parts.port or _SMTP_PORTS[scheme],
            "use_tls": scheme == "submission" or tls,
            "use_ssl": scheme == "smtps",
            "timeout": 10,
        }
        if parts.username:
            options["username"] = unquote(parts.username)
            options["password"] = unquote(parts.password or "")
        return {"BACKEND": f"{_BACKENDS}.smtp.EmailBackend", "OPTIONS": options}
    if scheme == "file" and parts.path:
        return {
            "BACKEND": f"{_BACKENDS}.filebased.EmailBackend",
            "OPTIONS": {"file_path": unquote(parts.path)},
        }
    if scheme in ("console", "locmem"):
        return {"BACKEND": f"{_BACKENDS}.{scheme}.EmailBackend"}
    raise ImproperlyConfigured(
        "EMAIL_URL must be smtp://, submission://, smtps://, file:///dir, console: or locmem:"
    )
