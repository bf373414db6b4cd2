"""Developer settings, the `sanbu` command's default: DEBUG on, but no demo conveniences.

Demo data and the known demo passwords need ``sanbu.config.settings.demo``, chosen explicitly (``make
demo`` does), so a `sanbu` run against a real database can never load them by accident.
"""

from .base import *  # noqa: F403

DEBUG = True
SANBU_DEMO = False
