"""Which DUIS User Role may send which Service Reference Variant (DESIGN §4 check 7, issue 10 point 3;
docs/service-matrix.md): the front door's lookup (``may_send``, ``decide``), the DCC operators' changes
(``services``) and the seeding from the DUIS request matrix (``seeding``)."""

from .services import Decision, decide, may_send

__all__ = ["Decision", "decide", "may_send"]
