import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanbu.config.settings.prod")
application = get_wsgi_application()

# Load jieba's dictionary at start-up so the first long query does not pay for it.
from sanbu.catalog.search import _jieba  # noqa: E402

_jieba()
