from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import BareRow


class KeySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=64)


class BareInsert(APIView):
    """A bare DRF endpoint: authenticate, validate, insert one row with a unique key."""

    permission_classes = [IsAuthenticated]

    def post(self, request):  # type: ignore[no-untyped-def]
        data = KeySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        BareRow.objects.create(key=data.validated_data["key"])
        return Response({"ok": True}, status=status.HTTP_201_CREATED)
