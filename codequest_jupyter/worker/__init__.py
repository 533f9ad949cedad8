"""Scale-out grading: ``codequest worker`` processes fed by procrastinate on PostgreSQL.

* :mod:`.queue`: the job queue (procrastinate's schema, deferring gradings and
  regrades, stalled jobs);
* :mod:`.events`: per-test events from the workers to the service (LISTEN/NOTIFY);
* :mod:`.queued`: the service's side (:class:`QueuedSubmissionService`);
* :mod:`.runner`: a worker (:class:`GradingWorker`), and :mod:`.workerapp`, its command.

Part of the domain: nothing here imports tornado, jupyter_server or jupyterhub.
"""
