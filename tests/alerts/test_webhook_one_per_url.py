"""One webhook per URL is the database's rule (two simultaneous creates cannot both
pass), and webhooks made twice before the rule are merged by its migration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from segments.models import Condition, WebhookDelivery, WebhookEndpoint
from tests.migrations import migrate, migrate_to_latest

URL = "https://hooks.example.com/ops"
BEFORE = [("segments", "0017_saved_view_preferences_related_name")]
WITH_RULE = [("segments", "0019_webhook_one_per_url")]


@pytest.mark.django_db
def test_the_database_refuses_a_second_webhook_to_one_url():
    WebhookEndpoint.objects.create(name="ops", url=URL, secret="s" * 20)
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEndpoint.objects.create(name="ops again", url=URL, secret="t" * 20)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_merges_webhooks_made_twice_into_the_oldest():
    executor = migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    endpoints = apps.get_model("segments", "WebhookEndpoint")
    deliveries = apps.get_model("segments", "WebhookDelivery")
    first = endpoints.objects.create(
        name="ops",
        url=URL,
        secret="s" * 20,
        conditions=[Condition.ENDS_SOON],
        active=False,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    second = endpoints.objects.create(
        name="ops again",
        url=URL,
        secret="t" * 20,
        conditions=[Condition.ENDS_SOON, Condition.ANOMALY],
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    other = endpoints.objects.create(name="other", url=URL + "-b", secret="u" * 20)
    for endpoint in (first, second, second):
        deliveries.objects.create(endpoint=endpoint, payload={}, alert_count=1)
    try:
        migrate(WITH_RULE)
    finally:
        migrate_to_latest()

    kept = WebhookEndpoint.objects.get(url=URL)
    assert (kept.pk, kept.name, kept.secret) == (first.pk, "ops", "s" * 20)
    assert kept.conditions == [Condition.ENDS_SOON, Condition.ANOMALY]
    assert kept.active  # the copy that was posting goes on posting
    assert WebhookDelivery.objects.filter(endpoint=kept).count() == 3
    assert WebhookEndpoint.objects.filter(pk=other.pk).exists()
    assert WebhookEndpoint.objects.count() == 2
