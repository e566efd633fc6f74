"""Alerts (MP134B business requirement 7): where each goes (``routing``) and raising them (``services``);
docs/alerts.md."""
