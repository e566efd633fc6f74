from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Sign-in, sign-out, failed sign-ins and lockouts are audited (issue 8 point 1).
        from . import receivers  # noqa: F401
