"""The case kernel: the life every procedure's case shares, as small deterministic helpers that
a procedure workflow composes (as samples-python's ``updatable_timer`` composes a timer).

- ``periods``: statutory periods as data (days, counted from what, article, labels).
- ``deadlines``: the pure deadline ledger rows and the "as of now" recomputation (also used by
  the API, outside any workflow).
- ``ledger``: the deadlines of one case in time: reminders, lapses, the next wake-up.
- ``history``: the case's steps, which are also its audit log.
- ``outbox``: e-mail and BCH messages keyed by case and step, delivered exactly once.
- ``projection``: search attributes, current details and the register row.
- ``case``: the pieces above for one case; ``runtime``: the run loop, close-down and
  continue-as-new.

Imports run one way: a procedure imports the kernel; the kernel imports the clock, the shared
models and the activities it calls, never a procedure.
"""
