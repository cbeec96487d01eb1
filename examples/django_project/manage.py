#!/usr/bin/env python
"""Django's command line for the example project.

    python examples/django_project/manage.py runserver     # embedded engine
    REDIS_URL=redis://localhost:6379/1 python examples/django_project/manage.py runserver
    python examples/django_project/manage.py test shop     # its tests
"""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
