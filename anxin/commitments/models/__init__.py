"""Models of the commitments app: calendars, job kinds, commitments, clocks and breaches."""

from .calendars import AdminAlert, Calendar, CalendarDay
from .clocks import Breach, Clock, ClockEvent
from .commitments import Commitment, JobKind

__all__ = [
    "AdminAlert",
    "Breach",
    "Calendar",
    "CalendarDay",
    "Clock",
    "ClockEvent",
    "Commitment",
    "JobKind",
]
