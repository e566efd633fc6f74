from __future__ import annotations

import pytest

from srp_client import CounterStore, SrpClient, SupplierKey, Transport, XmlSigner

from .fakedcc import FakeDcc, make_world


@pytest.fixture(scope="module")
def world():
    return make_world()


@pytest.fixture
def dcc(world):
    fake = FakeDcc(world)
    yield fake
    fake.stop()


@pytest.fixture
def make_client(world, dcc):
    """An SrpClient for the fake DCC (no sleeping between retries)."""

    def make(**kwargs) -> SrpClient:
        kwargs.setdefault("transport", Transport(retries=2, timeout=10, sleep=lambda seconds: None))
        kwargs.setdefault("counters", CounterStore())
        return SrpClient(
            base_url=dcc.url + "/",
            signer=XmlSigner(world.srp.eui, world.srp.key, world.srp.cert),
            suppliers=[SupplierKey(world.supplier_es.eui, world.supplier_es.key),
                       SupplierKey(world.supplier_gs.eui, world.supplier_gs.key)],
            dcc_certificate=world.dcc.cert,
            **kwargs,
        )

    return make
