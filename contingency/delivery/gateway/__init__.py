"""The device gateway: one interface (interface.py) with the simulated comms hub / SMETS1 service provider behind
it (simulator.py, meter.py, keys.py), and its beat task (tasks.py). docs/device-gateway.md."""
