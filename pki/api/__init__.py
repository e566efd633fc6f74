"""pki's endpoints of the people's API (certificate orders, certificates)."""
