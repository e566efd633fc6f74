"""Meters: their vocabulary (choices), their rules (plain functions of values), the meter row declared once,
the CSV import and the bulk services. The model is contingency.models.devices."""
