"""The background worker: durable jobs in the database, claimed with conditional updates.

Business code enqueues work in its own transaction (:func:`anxin.worker.api.enqueue`), so a
change that commits always gets its job and one that rolls back never does. ``anxin worker``
runs the jobs and the periodic sweeps; several workers may run at once.
"""
