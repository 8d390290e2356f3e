import os

from django.conf import settings
from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse("django:%s:%s:%s" % (
        settings.SITE_LABEL, os.environ.get("DJANGO_SETTINGS_MODULE"),
        request.GET.get("q", "")), content_type="text/plain")


urlpatterns = [path("", index)]
