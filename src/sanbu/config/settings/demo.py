"""Local and demo settings: DEBUG on, demo data commands enabled. Never used in production."""

from .base import *  # noqa: F403

DEBUG = True
SANBU_DEMO = True
