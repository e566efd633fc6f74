"""Counters never repeat: 200 requests in flight over a few devices, and a counter file reopened afterwards."""

from __future__ import annotations

import threading
from collections import Counter

from contingency.duis.requestid import parse as parse_request_id
from srp_client import CounterStore, Outcome

from .fakedcc import ESME, ESME_TWIN, GSME, OTHER_ESME

DEVICES = [ESME, ESME_TWIN, GSME, OTHER_ESME]


def test_200_concurrent_requests_never_repeat_a_counter(dcc, make_client, tmp_path):
    path = tmp_path / "counters"
    store = CounterStore(path, floor=lambda: 1000)  # a fixed floor: every counter comes from the store itself
    client = make_client(counters=store)
    seen = []
    lock = threading.Lock()

    def progress(done, result):
        with lock:
            seen.append(done)

    devices = [DEVICES[i % len(DEVICES)] for i in range(200)]
    results = client.switch_many(devices, concurrency=50, progress=progress)
    store.close()
    assert sorted(seen) == list(range(1, 201))
    # The fake DCC refuses (409) a counter not above the last one for the device, as the front door does.
    assert Counter(r.outcome for r in results) == {Outcome.ACCEPTED: 200}, Counter((r.outcome, r.code) for r in results)
    ids = [parse_request_id(r.request_id) for r in results]
    assert len({str(i) for i in ids}) == 200
    per_device = {d: sorted(i.counter for i in ids if i.target == d) for d in DEVICES}
    assert all(counters == list(range(1000, 1050)) for counters in per_device.values()), per_device
    assert [r.device for r in results] == devices  # results in the devices' order
    # Reopened, the store goes on above every counter it handed out.
    again = CounterStore(path, floor=lambda: 0)
    assert {d: again.next(d) for d in DEVICES} == {d: 1050 for d in DEVICES}


def test_threads_share_one_store_without_repeats(tmp_path):
    store = CounterStore(tmp_path / "c", floor=lambda: 0)
    got: list[int] = []
    lock = threading.Lock()

    def take():
        mine = [store.next(ESME) for _ in range(250)]
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(2000))
    store.close()
    assert CounterStore(tmp_path / "c", floor=lambda: 0).last(ESME) == 1999
