"""A minimal real Django project (python3-django)."""
SECRET_KEY = "qilin-test-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
SITE_LABEL = "qilin-django-ok"
