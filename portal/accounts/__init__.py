"""Sign-in and accounts (issue 8 points 1-4): lockout (django-axes), the second factor (django-otp TOTP),
password change and people's API tokens (django-rest-knox). docs/accounts.md describes them.

A Django app of its own (label ``accounts``) only so that its AppConfig connects the audit receivers; it has
no models: axes, django-otp and knox keep theirs.
"""
