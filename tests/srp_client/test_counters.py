"""The counter store: strictly increasing per device, above the floor (milliseconds by default), written before use."""

from __future__ import annotations

import pytest

from srp_client import ClientError, CounterStore
from srp_client.counters import millis

from .fakedcc import ESME, GSME


def test_counters_increase_per_device_and_start_at_the_floor():
    store = CounterStore(floor=lambda: 500)
    assert [store.next(ESME), store.next(ESME), store.next(GSME)] == [500, 501, 500]
    assert store.next(ESME.lower()) == 502  # any spelling of the EUI is the same device


def test_the_default_floor_is_the_time_in_milliseconds():
    before = millis()
    counter = CounterStore().next(ESME)
    assert before <= counter <= millis()


def test_a_counter_is_on_file_before_it_is_returned(tmp_path):
    path = tmp_path / "counters"
    store = CounterStore(path, floor=lambda: 7)
    assert store.next(ESME) == 7
    assert path.read_text().splitlines()[-1] == f"{ESME} 7"  # without close(): a crash keeps it
    assert CounterStore(path, floor=lambda: 0).next(ESME) == 8


def test_a_line_cut_short_at_the_end_is_ignored_but_damage_elsewhere_is_refused(tmp_path):
    path = tmp_path / "counters"
    path.write_text(f"{ESME} 41\n{GSME} 9\n{ESME} 4")
    assert CounterStore(path, floor=lambda: 0).next(ESME) == 42
    path.write_text(f"{ESME} 41\nrubbish\n{GSME} 9\n")
    with pytest.raises(ClientError) as info:
        CounterStore(path)
    assert info.value.code == "counter-file-invalid"


def test_opening_compacts_to_one_line_per_device(tmp_path):
    path = tmp_path / "counters"
    store = CounterStore(path, floor=lambda: 0)
    for _ in range(5):
        store.next(ESME)
    store.close()
    CounterStore(path).close()
    assert path.read_text() == f"{ESME} 4\n"


def test_the_counter_never_passes_2_to_the_64():
    store = CounterStore(floor=lambda: 2**64 - 1)
    assert store.next(ESME) == 2**64 - 1
    with pytest.raises(ClientError) as info:
        store.next(ESME)
    assert info.value.code == "counter-exhausted"
