"""contingency's endpoints of the people's API (ADT files; later instructions, events, devices)."""
