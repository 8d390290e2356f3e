"""Django's usual wsgi.py, minus the setdefault: DJANGO_SETTINGS_MODULE must
come from `--env`."""
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
