"""Test settings: fast password hashing, demo conveniences on (tests load demo fixtures)."""

from .base import *  # noqa: F403

DEBUG = False
SANBU_DEMO = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
