"""Write integrity: two operators extending one segment at the same moment.

Each trial starts two writers at a barrier with the same ``updated`` seen and
different new end dates, against the sandbox with remote latency. Exactly one
must be applied, the other must get the conflict screen, and the platform must
end with the applied writer's date: a "moved" message for a value the platform
no longer holds is a lost update.
"""

from __future__ import annotations

import multiprocessing
import threading
import warnings
from datetime import timedelta

import pytest
from asgiref.local import Local
from django.db import connection, connections

from segments import remote
from segments.models import AuditEvent, Segment
from segments.services.audit import Actor
from segments.services.platform_writes import segment_extend
from tests.conftest import make_user

TRIALS = 20
LATENCY_MS = 50
Outcome = AuditEvent.Outcome


def extend_as(username: str, segment_id: int, new_end, seen) -> tuple[str, str]:
    from django.contrib.auth.models import User

    try:
        user = User.objects.get(username=username)
        result = segment_extend(
            actor=Actor(user=user, ip="127.0.0.1"),
            segment_id=segment_id,
            new_end_date=new_end,
            expected_updated=seen,
        )
        return result.outcome, result.message
    finally:
        connection.close()


def trial_targets(sandbox, count: int):
    """``count`` live segments, with their current end date and ``updated``."""
    ids = (
        Segment.objects.visible()
        .filter(end_date__gt=sandbox.anchor + timedelta(days=30))
        .order_by("segment_id")
        .values_list("segment_id", flat=True)[:count]
    )
    with remote.segment_api() as client:
        return [client.segment(segment_id=i) for i in ids]


def judge(results, target, first, second, sandbox) -> int:
    """Check one trial; return how many updates it lost (told "moved", not on the platform)."""
    final = remote.Segment.parse(sandbox.store.get_segment(target.segment_id)).end_date
    wanted = {"a": first, "b": second}
    lost = sum(
        1
        for name, (outcome, _) in results.items()
        if outcome == Outcome.DONE and abs(final - wanted[name]) >= timedelta(microseconds=1)
    )
    outcomes = sorted(outcome for outcome, _ in results.values())
    if lost == 0:
        assert outcomes == sorted([Outcome.DONE, Outcome.CONFLICT]), results
        loser = next(message for outcome, message in results.values() if outcome != Outcome.DONE)
        assert "changed in Segment Desk by" in loser  # the other operator, by name
    return lost


@pytest.fixture
def two_operators(synced):
    # The service checks no permission (the views do): users without a role suffice,
    # and need no role group (a transactional test may start from a flushed database).
    make_user("ann", None)
    make_user("bob", None)
    synced.faults.latency_ms = LATENCY_MS
    return synced


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_threads_one_segment_no_lost_update(two_operators):
    sandbox = two_operators
    lost = 0
    for target in trial_targets(sandbox, TRIALS):
        first = target.end_date + timedelta(days=3)
        second = target.end_date + timedelta(days=9)
        barrier = threading.Barrier(2)
        results = {}

        def run(name, username, new_end, target=target, barrier=barrier, results=results):
            barrier.wait()
            try:
                results[name] = extend_as(username, target.segment_id, new_end, target.updated)
            except Exception as exc:  # reported by judge() as this writer's outcome
                results[name] = ("crashed", repr(exc))

        threads = [
            threading.Thread(target=run, args=("a", "ann", first)),
            threading.Thread(target=run, args=("b", "bob", second)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        lost += judge(results, target, first, second, sandbox)
    assert lost == 0, f"{lost} lost updates in {TRIALS} trials"


_INHERITED = []


def _process_writer(barrier, queue, name, username, segment_id, new_end, seen):
    # A forked child opens its own connections, as a real web or worker process
    # does: whatever connection objects it inherited from the test process are
    # set aside unused (kept referenced, so no finaliser closes the parent's socket).
    _INHERITED.append(connections._connections)
    connections._connections = Local(connections.thread_critical)
    barrier.wait()
    queue.put((name, extend_as(username, segment_id, new_end, seen)))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_processes_one_segment_no_lost_update(two_operators):
    """Two OS processes sharing the database (forked after the connections are
    closed, each opening its own), as two web or worker processes would."""
    sandbox = two_operators
    context = multiprocessing.get_context("fork")
    lost = 0
    for target in trial_targets(sandbox, TRIALS):
        first = target.end_date + timedelta(days=3)
        second = target.end_date + timedelta(days=9)
        barrier, queue = context.Barrier(2), context.Queue()
        connections.close_all()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
            processes = [
                context.Process(
                    target=_process_writer,
                    args=(barrier, queue, name, user, target.segment_id, end, target.updated),
                )
                for name, user, end in (("a", "ann", first), ("b", "bob", second))
            ]
            for process in processes:
                process.start()
        results = dict(queue.get(timeout=60) for _ in processes)
        for process in processes:
            process.join(timeout=30)
            assert process.exitcode == 0
        lost += judge(results, target, first, second, sandbox)
    assert lost == 0, f"{lost} lost updates in {TRIALS} trials"
