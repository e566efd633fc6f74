"""The DUIS Service Reference Variants (SRVs) an ADT row may name.

Written for this project from the DUIS 5.4 list of Service Requests (DUIS clause 3.2 and its Service
Request matrix): only the codes, nothing else. ``tests/contingency/test_adt_parse.py`` compares this
table with the conformance data's request matrix, so a DUIS update that adds an SRV shows up as a failing
test rather than as a refused ADT row.
"""

from __future__ import annotations

_CODES = """
1.1.1 1.1.2 1.2.1 1.2.2 1.5 1.6 1.7
2.1 2.2 2.3 2.5
3.1 3.2 3.3 3.4 3.5
4.1.1 4.1.2 4.1.3 4.1.4 4.2 4.3 4.4.2 4.4.3 4.4.4 4.4.5 4.6.1 4.6.2 4.8.1 4.8.2 4.8.3 4.10 4.11.1 4.11.2
4.12.1 4.12.2 4.13 4.14 4.15 4.16 4.17 4.18
5.1 5.2 5.3
6.2.1 6.2.2 6.2.3 6.2.4 6.2.5 6.2.7 6.2.8 6.2.9 6.2.10 6.4.1 6.4.2 6.5 6.6 6.7 6.8 6.11 6.12 6.13
6.14.1 6.14.2 6.14.3 6.15.1 6.15.2 6.17 6.18.1 6.18.2 6.20.1 6.20.2 6.21 6.22 6.23 6.24.1 6.24.2 6.25 6.26
6.27 6.28 6.29 6.30 6.31 6.32
7.1 7.2 7.3 7.4 7.5 7.6 7.7 7.8 7.9 7.10 7.11 7.12 7.13 7.14 7.15 7.16
8.1.1 8.2 8.3 8.4 8.5 8.6 8.7.1 8.7.2 8.8.1 8.8.2 8.9 8.11 8.12.1 8.12.2 8.13 8.14.1 8.14.2 8.14.3 8.14.4
9.1
11.1 11.2 11.3 11.4
12.1 12.2
14.1
"""

KNOWN_SRVS: frozenset[str] = frozenset(_CODES.split())


def is_known_srv(code: str) -> bool:
    return code in KNOWN_SRVS
