"""Creates the database and the accounts user0 … user{N-1} (password pw-{n})."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "simplejwt_server.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402


def prepare(users):
    call_command("migrate", verbosity=0, interactive=False)
    User.objects.bulk_create(
        [User(username=f"user{n}", password=make_password(f"pw-{n}")) for n in range(users)],
        batch_size=500,
    )
