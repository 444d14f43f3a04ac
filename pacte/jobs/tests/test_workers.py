"""Real ``pacte worker`` processes on a committed database ("live", see test_settings): a worker
killed mid-job, two workers draining a thousand jobs (PostgreSQL), and ``--once`` on the demo."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections, transaction
from django_tasks_db.compat import TaskResultStatus, normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

from pacte.jobs.models import JobRun, RunOutcome, WorkerProcess
from pacte.jobs.tests import sample_tasks

LIVE = "live"
# "default" too: it is created first (django-tasks-db's data migration 0016 queries the default alias).
live_db = pytest.mark.django_db(transaction=True, databases=["default", LIVE])


def database_url(alias: str) -> str:
    db = connections[alias].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    """The test's settings module (locmem mail), on the live database, with a short lease."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings.SETTINGS_MODULE,
        DATABASE_URL=database_url(LIVE),
        PACTE_JOBS_LEASE_SECONDS="2",
        PACTE_JOBS_TICK_SECONDS="0.5",
        PACTE_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(settings.BASE_DIR.parent), os.environ.get("PYTHONPATH")])),
    )
    env.update(extra)
    return env


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def _start(*args: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "pacte.cli", "worker", "--interval", "0.05", *args],
            env=worker_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield _start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def enqueue_live(task, *args) -> DBTaskResult:
    return DBTaskResult.objects.using(LIVE).create(
        args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=get_date_max(),
        backend_name="default",
    )


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


@live_db
def test_a_worker_killed_mid_job_leaves_the_job_to_be_retried_and_finished(tmp_path, start_worker):
    job = enqueue_live(sample_tasks.sleep_the_first_time, str(tmp_path))
    first = start_worker()
    wait_for(lambda: (tmp_path / "attempt-1").exists(), 60, "the first attempt to start")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    job.refresh_from_db()
    assert job.status == TaskResultStatus.RUNNING  # the killed worker could not record anything
    (killed_worker,) = job.worker_ids

    second = start_worker()
    wait_for(lambda: (tmp_path / "finished").exists(), 60, "the retried job to finish")
    wait_for(
        lambda: DBTaskResult.objects.using(LIVE).get(pk=job.pk).status == TaskResultStatus.SUCCESSFUL,
        30,
        "the job to be recorded as successful",
    )
    assert stop(second) == 0
    job.refresh_from_db()
    assert job.return_value == 2
    assert job.worker_ids[0] == killed_worker and len(job.worker_ids) == 2
    runs = list(JobRun.objects.using(LIVE).filter(task_result_id=job.pk).order_by("attempt"))
    assert [(run.attempt, run.outcome) for run in runs] == [(1, RunOutcome.LOST), (2, RunOutcome.SUCCEEDED)]
    assert "stopped heart-beating" in runs[0].error
    assert (tmp_path / "finished").read_text() == "2"
    stopped = WorkerProcess.objects.using(LIVE).get(worker_id=job.worker_ids[1])
    assert stopped.stopped_at is not None  # SIGTERM: a clean stop


JOBS = 1000


@pytest.mark.slow
@pytest.mark.postgres_only
@live_db
def test_two_workers_drain_a_thousand_jobs_each_exactly_once(tmp_path, start_worker):
    """SELECT … FOR UPDATE SKIP LOCKED: each job is claimed by one worker, none twice, none left."""
    markers = tmp_path / "markers"
    markers.mkdir()
    workers = [start_worker(), start_worker()]
    wait_for(lambda: WorkerProcess.objects.using(LIVE).filter(stopped_at__isnull=True).count() == 2, 60, "two workers")
    with transaction.atomic(using=LIVE):
        DBTaskResult.objects.using(LIVE).bulk_create(
            DBTaskResult(
                args_kwargs={"args": [str(markers), f"job-{number:04d}"], "kwargs": {}},
                task_path=sample_tasks.mark.module_path,
                run_after=get_date_max(),
                backend_name="default",
            )
            for number in range(JOBS)
        )
    results = DBTaskResult.objects.using(LIVE).filter(task_path=sample_tasks.mark.module_path)
    wait_for(lambda: results.finished().count() == JOBS, 300, f"{JOBS} jobs to finish")
    assert [stop(worker) for worker in workers] == [0, 0]

    assert results.filter(status=TaskResultStatus.SUCCESSFUL).count() == JOBS  # a second run would fail (file exists)
    assert sorted(path.name for path in markers.iterdir()) == [f"job-{number:04d}" for number in range(JOBS)]
    runs = JobRun.objects.using(LIVE).filter(task_path=sample_tasks.mark.module_path)
    assert runs.count() == JOBS
    assert runs.values("task_result_id").distinct().count() == JOBS
    assert set(runs.values_list("attempt", flat=True)) == {1}
    per_worker = {
        worker_id: runs.filter(worker_id=worker_id).count()
        for worker_id in runs.values_list("worker_id", flat=True).distinct()
    }
    assert len(per_worker) == 2, per_worker  # both workers took part
    assert min(per_worker.values()) > JOBS // 10, per_worker


def _sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as database:
        return {
            table: database.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("jobs_jobrun", "django_tasks_database_dbtaskresult", "mail_outboundmessage", "events_event")
        } | {
            "sent": database.execute("SELECT COUNT(*) FROM mail_outboundmessage WHERE status = 'sent'").fetchone()[0],
            "ready": database.execute(
                "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
            ).fetchone()[0],
        }


@pytest.mark.slow
def test_worker_once_twice_on_the_demo_database_does_nothing_the_second_time(tmp_path):
    """`pacte demo --no-serve` then `pacte worker --once` twice, as cron would (embedded SQLite)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="pacte.config.settings",
        PACTE_VAR_DIR=str(tmp_path),
        PACTE_DEMO="1",
        PACTE_LOG_LEVEL="WARNING",
    )
    pacte = [sys.executable, "-m", "pacte.cli"]
    subprocess.run([*pacte, "demo", "--no-serve"], env=env, check=True, capture_output=True, timeout=300)
    database = tmp_path / "pacte.sqlite3"
    before = _sqlite_counts(database)
    assert before["ready"] >= 1  # the demo queued its welcome e-mail

    first = subprocess.run([*pacte, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    after_first = _sqlite_counts(database)
    assert after_first["ready"] == 0
    # every queued e-mail (welcome, the tickets' notifications, the SLA job's notices) is sent, once
    assert after_first["sent"] == after_first["mail_outboundmessage"] >= before["mail_outboundmessage"] >= 1
    mail_files = sorted((tmp_path / "mail").iterdir())
    assert mail_files  # written by the file backend: the demo never sends real mail
    assert all("Message-ID: <" in path.read_text() for path in mail_files)
    assert "job(s) run (0 failed)" in first.stdout

    second = subprocess.run([*pacte, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    # Nothing left to do: no mail, no event; only the every-minute jobs (mail poll, SLA check) may run
    # again if a new minute began in between, and they find nothing.
    assert "(0 failed)" in second.stdout and "0 lost job(s) re-queued" in second.stdout
    after_second = _sqlite_counts(database)
    assert (after_second["mail_outboundmessage"], after_second["sent"], after_second["events_event"]) == (
        after_first["mail_outboundmessage"],
        after_first["sent"],
        after_first["events_event"],
    )
    assert after_second["ready"] == 0
    assert sorted((tmp_path / "mail").iterdir()) == mail_files
