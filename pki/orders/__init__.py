"""Certificate orders and revocation requests for the Party portal (issue 8 point 6, MP134B requirement 2).

``services`` holds the rules (who may order, see, ask for and decide a revocation); ``pki/web`` and
``pki/api`` only map them onto pages and the people's API.
"""
