"""Strings of third-party apps that their own French catalogue lacks, translated in ours.

Never imported: makemessages reads them here, and Django looks up every msgid in our
catalogue (LOCALE_PATHS) first.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY = [
    # django-axes model names, shown in the admin's permission lists.
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
]
