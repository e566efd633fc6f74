"""The DUIS front door's ordered checks (DESIGN §4; docs/duis-checks.md): one small module per check or group of
checks, run in order by :func:`contingency.pipeline.run.handle`; the first failure decides the answer.

=====  ====================  ==================================================================
row    module                what
=====  ====================  ==================================================================
1      ``transport``         POST, ``application/xml``, body size; the URL fits the Command Variant
2-4    ``document``          safe parse, DUIS schema, XML signature and signer = originator
5      ``replay``            RequestID unseen, counter increasing per (device, GBCS originator);
                             a CV 5-7 names a Pre-Command issued to this sender and not used
6-7    ``sender``            User ID registered and active; the role may send this SRV and CV
8-9    ``device``            device exists, type, SMI status and generation fit; may act on it
10     ``content``           Credit only (SRV 1.6 body, SMETS1); the Signed Pre-Command check
11     ``adt``               ADT counting and quarantine (contingency.adt.counting)
12     ``store``             store, then queue on commit
=====  ====================  ==================================================================
"""
