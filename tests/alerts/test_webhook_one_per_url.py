"""One webhook per URL is the database's rule (two simultaneous creates cannot both
pass), and webhooks made twice before the rule are merged by its migration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from segments.alerts.webhook_endpoints import webhook_endpoint_create
from segments.models import Condition, WebhookDelivery, WebhookEndpoint
from segments.services.audit import Actor
from tests.migrations import migrate, migrate_to_latest

URL = "https://hooks.example.com/ops"
BEFORE = [("segments", "0017_saved_view_preferences_related_name")]
WITH_RULE = [("segments", "0018_webhook_one_per_url")]


@pytest.mark.django_db
def test_the_database_refuses_a_second_webhook_to_one_url():
    WebhookEndpoint.objects.create(name="ops", url=URL, secret="s" * 20)
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEndpoint.objects.create(name="ops again", url=URL, secret="t" * 20)


@pytest.mark.django_db
def test_a_url_too_long_for_the_unique_index_is_refused_clearly():
    """PostgreSQL's B-tree entries hold 2,704 bytes: a 986-character URL of CJK letters
    (2,906 bytes) failed to insert with a database error instead of a form error."""
    long_ascii = "https://hooks.example.com/" + "a" * 970
    assert webhook_endpoint_create(
        actor=Actor(user=None), name="long", url=long_ascii, secret="s" * 20, conditions=[]
    )
    with pytest.raises(ValidationError, match="a webhook URL has at most 2,000 bytes"):
        webhook_endpoint_create(
            actor=Actor(user=None),
            name="cjk",
            url="https://hooks.example.com/" + "東" * 960,
            secret="s" * 20,
            conditions=[],
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_merges_webhooks_made_twice_into_the_oldest():
    executor = migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    endpoints = apps.get_model("segments", "WebhookEndpoint")
    deliveries = apps.get_model("segments", "WebhookDelivery")
    paused = endpoints.objects.create(
        name="ops",
        url=URL,
        secret="s" * 20,
        conditions=[Condition.ENDS_SOON, Condition.SYNC_FAILING],
        active=False,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    posting = endpoints.objects.create(
        name="ops again",
        url=URL,
        secret="t" * 20,
        conditions=[Condition.ENDS_SOON],
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    also = endpoints.objects.create(
        name="ops third",
        url=URL,
        secret="u" * 20,
        conditions=[Condition.ANOMALY],
        created_at=datetime(2026, 11, 3, tzinfo=UTC),
    )
    other = endpoints.objects.create(name="other", url=URL + "-b", secret="v" * 20)
    for endpoint in (paused, posting, also):
        deliveries.objects.create(endpoint=endpoint, payload={}, alert_count=1)
    try:
        migrate(WITH_RULE)
    finally:
        migrate_to_latest()

    # The oldest active one, whose secret the receiver has been checking, with the
    # other active one's conditions; the paused one's were not posted and are not.
    kept = WebhookEndpoint.objects.get(url=URL)
    assert (kept.pk, kept.name, kept.secret, kept.active) == (
        posting.pk,
        "ops again",
        "t" * 20,
        True,
    )
    assert kept.conditions == [Condition.ENDS_SOON, Condition.ANOMALY]
    assert WebhookDelivery.objects.filter(endpoint=kept).count() == 3
    assert WebhookEndpoint.objects.filter(pk=other.pk).exists()
    assert WebhookEndpoint.objects.count() == 2
