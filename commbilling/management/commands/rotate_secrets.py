"""Re-encrypt every stored secret with the first key of SECRETS_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from commbilling.secrets import rotate_secrets


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of SECRETS_ENCRYPTION_KEYS "
        "(key rotation: put the new key first, run this, then remove the old keys)."
    )

    def handle(self, *args, **options) -> None:
        rows = rotate_secrets()
        self.stdout.write(f"{rows} row(s) re-encrypted with the first key.")
