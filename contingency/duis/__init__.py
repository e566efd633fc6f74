"""DUIS messages as plain Python (DESIGN §3): the official schema, RequestIDs, requests, responses, alerts.
Nothing here imports a Django model; callers pass what the messages need."""
