"""SoLR events (issue 9; docs/events.md): the Authority's records (``records``), the failed Supplier's certificates
following its licence (``certificates``), the activation with four eyes (``activation``), the front door's
``access.may_act``, the listings (``queries``) and the refusal codes (``refusals``). Views, the API and the
pipeline call these services, never the models' writes."""
