"""GBCS frames as plain Python (DESIGN §3; reference digest §5): Pre-Commands (ECS02/03, GCS02/03), their
decoding and GBCS signatures, and device alert payloads. Nothing here imports a Django model."""
