"""The Party portal's certificate pages (issue 8 point 6): orders, the Party's certificates, revocation requests."""
