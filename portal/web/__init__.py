"""The registry's own pages that are not offices or accounts: User IDs (``user_ids``)."""
