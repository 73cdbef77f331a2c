"""One-time form tokens: a double submission is processed once."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from segments.models import SubmissionToken


class AlreadySubmitted(Exception):
    """This form's token was used before: the submission is not processed twice."""


def submission_claim(*, token: str, user) -> None:
    """Accept a rendered form's token once. Raises ``AlreadySubmitted`` after that."""
    try:
        with transaction.atomic():
            SubmissionToken.objects.create(token=token, user=user)
    except IntegrityError:
        raise AlreadySubmitted from None
