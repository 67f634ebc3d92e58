from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organisations and users")

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        # The last of our apps: by then every app's permissions exist.
        post_migrate.connect(_sync_roles_after_migrate, sender=apps.get_app_config("support"))


def _sync_roles_after_migrate(sender, apps=None, **kwargs) -> None:
    # Models added by later migrations bring permissions their roles must receive, and a
    # test flush empties the groups: both are mended here.
    from django.apps import apps as global_apps

    from .roles import sync_roles

    sync_roles(apps or global_apps)
