"""The workshop pages: advisor's board, appointments, work orders, technician's phone view,
customer links, vehicle archive and the expert queue. They check input with forms and leave
every write to the domain's action functions (``anxin.workshop.actions`` and friends)."""
