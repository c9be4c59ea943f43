from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenBlacklistView, TokenObtainPairView, TokenRefreshView


class MeView(APIView):
    """The protected resource: who the access token says the caller is."""

    def get(self, request):
        return Response({"username": request.user.get_username(), "user_id": request.user.pk})


urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("api/token/blacklist/", TokenBlacklistView.as_view()),
    path("api/me/", MeView.as_view()),
]
