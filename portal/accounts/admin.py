"""knox's token admin is taken away: people create and revoke their tokens on the `tokens` page, which audits
it; the admin would only show digests and let staff delete other people's tokens unaudited. django-otp's TOTP
devices stay in the admin, for a superuser to remove a lost authenticator (the service desk has no rights)."""

from django.contrib import admin
from knox.models import AuthToken

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)
