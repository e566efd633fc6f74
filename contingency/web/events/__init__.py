"""The SoLR event pages (issue 9 points 1, 3 and 5; docs/console.md): the Authority's records, the service desk's
event list and one page per event with its activation buttons and chart. Views only translate: the rules,
the writes and the audit are contingency.events' services."""
