"""Production settings: refuse to start with a default secret key or with DEBUG on."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEFAULT_SECRET_KEY, SECRET_KEY

DEBUG = os.environ.get("SANBU_DEBUG", "") not in ("", "0", "false", "False")
if DEBUG:
    raise ImproperlyConfigured("生产环境不得开启 DEBUG（SANBU_DEBUG）。")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("生产环境必须通过 SANBU_SECRET_KEY 设置至少 32 位的随机密钥。")
SANBU_DEMO = False
SESSION_COOKIE_SECURE = os.environ.get("SANBU_INSECURE_COOKIES", "") == ""
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Identifying items of 重要/核心 data are stored SM4-encrypted (CAT-7, docs/encryption.md): no default keys.
for _name in ("SANBU_FIELD_KEYS", "SANBU_BLIND_KEY"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"生产环境必须设置 {_name}（字段加密密钥，见 docs/encryption.md）。")
