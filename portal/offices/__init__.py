"""Offices (SEC Section L, the SMKI RAPP): ARO nominations, their verification by the DCC, removals; the pages
and the API for them. Other rooms ask ``acting_aro(person, party)`` whether a person acts for a Party as an ARO
(only a verified ARO does), or use ``Office.objects.acting()`` / ``.verified().of_person(p)``."""

from .services import acting_aro, acting_sro, is_dcc_operator, nominations_to_decide, visible_offices

__all__ = ["acting_aro", "acting_sro", "is_dcc_operator", "nominations_to_decide", "visible_offices"]
