from django.urls import include, path
from oauth2_provider.urls import metadata_urlpatterns
from rest_framework.response import Response
from rest_framework.views import APIView


class MeView(APIView):
    """The protected resource: who the access token says the caller is (OAuth2Authentication
    and IsAuthenticated come from REST_FRAMEWORK in settings.py)."""

    def get(self, request):
        return Response({"username": request.user.get_username(), "user_id": request.user.pk})


urlpatterns = [
    # DOT's docs/oauth2_server_metadata.rst: an issuer under a path (here .../o) should also
    # serve the strict RFC 8414 form, /.well-known/oauth-authorization-server/o, at the root.
    path("", include((metadata_urlpatterns, "oauth2_provider"), namespace="oauth2_metadata")),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/me/", MeView.as_view()),
]
