"""A delete waiting out its undo window survives its worker: real worker processes."""

from __future__ import annotations

import os
import signal

import pytest

from segments.models import ScheduledDelete, Segment
from segments.remote import NotFound
from segments.services.audit import Actor
from segments.services.deletes import segment_delete_schedule
from segments.services.sync import sync_run
from tests.conftest import make_user
from tests.processes.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_worker_restarted_during_the_window_still_deletes_at_the_deadline(
    cluster, settings, segment_client
):
    assert sync_run(full=True).ok
    settings.DELETE_UNDO_SECONDS = 3
    segment = Segment.objects.visible().order_by("segment_id").first()
    first = cluster.worker("worker-1")
    scheduled = segment_delete_schedule(
        actor=Actor(user=make_user("ann", "Operator")),
        segment_id=segment.segment_id,
        expected_updated=segment.updated,
    ).scheduled
    # The worker that holds the queue dies during the window; another starts.
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert ScheduledDelete.objects.get(pk=scheduled.pk).state == ScheduledDelete.State.PENDING
    cluster.worker("worker-2")

    def sent():
        return ScheduledDelete.objects.get(pk=scheduled.pk).state == ScheduledDelete.State.DONE

    wait_until(sent, timeout=90, what="the delete at its deadline")
    with pytest.raises(NotFound):
        segment_client.segment(segment_id=segment.segment_id)
