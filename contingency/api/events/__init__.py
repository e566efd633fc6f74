"""The SoLR events endpoints of the people's API (issue 9 point 10; docs/events-api.md)."""
