"""Domain events that cross app boundaries.

Apps announce what happened to their own records here; other apps listen without the sender
knowing them (feedback invites a rating when a job is finished, quality updates its rollups).
Receivers run inside the sender's transaction, so a failure rolls the change back with them;
a receiver that does slow work enqueues a worker job instead of doing it inline.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a job moved to a new state, inside the transaction that moved it.
# Keyword arguments:
#   kind   -- the job's kind: "rescue" (rescue.RescueJob) or "workorder" (workshop.WorkOrder)
#   job    -- the job instance, already saved in its new state
#   state  -- the new state's value (e.g. "completed", "delivered")
#   previous -- the state it left
#   at     -- aware datetime of the transition
#   actor  -- the user who made it (None for the system)
job_state_changed = Signal()

# The states after which the customer has been served and may be asked to rate the service.
SERVED_STATES = {"rescue": "completed", "workorder": "delivered"}
