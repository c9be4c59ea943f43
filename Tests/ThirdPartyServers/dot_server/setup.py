"""Creates the database, the accounts user0 … user{N-1} (password pw-{n}) and the one
Application, `tokenbench`: confidential, password grant, RS256 for OIDC ID tokens, its secret
from TOKENBENCH_DOT_CLIENT_SECRET (DOT stores it hashed, hash_client_secret defaults to True)."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dot_server.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import get_application_model  # noqa: E402


def prepare(users, client_secret):
    call_command("migrate", verbosity=0, interactive=False)
    User.objects.bulk_create(
        [User(username=f"user{n}", password=make_password(f"pw-{n}")) for n in range(users)],
        batch_size=500,
    )
    Application = get_application_model()
    Application.objects.create(
        name="tokenbench",
        client_id="tokenbench",
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
        algorithm=Application.RS256_ALGORITHM,
    )
