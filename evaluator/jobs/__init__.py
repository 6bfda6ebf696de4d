"""Long work off the web request: report PDFs, batch reports (later: roster imports, exports).

One small interface, two engines behind it:

- ``RQQueue`` — RQ on Redis, when ``EVALUATOR_QUEUE_URL=redis://...`` is set: any number of
  ``evaluator worker`` processes on any number of machines take the jobs;
- ``ThreadQueue`` — the embedded default: a worker thread inside the app process, so
  ``make run`` needs nothing more.

    job_id = current_queue().enqueue("report.pdf", key={...}, params={...})
    state = current_queue().status(job_id)   # JobState: state, progress, message, result

Jobs are idempotent: the id is a hash of the job's kind and key (for a report: data hash,
rubric, language, software version, date, draft), so enqueueing the same work again while it
is queued, running or done returns the same id instead of a second job, and a task first looks
for its result in the file storage. An unexpected error or a crashed worker gets the job
retried (``RETRIES`` times); a task's own refusal (``JobFailed``: data that cannot be scored,
no CJK font) is final. The result is a key in the file storage (evaluator.storage).
"""

from __future__ import annotations

from evaluator.jobs.base import RETRIES, JobFailed, JobQueue, JobState, Progress, job_id
from evaluator.jobs.setup import current_queue, queue_from_config

__all__ = ["RETRIES", "JobFailed", "JobQueue", "JobState", "Progress", "current_queue", "job_id",
           "queue_from_config"]
