"""A Django project with a database, for libraries that need the ORM
(django-cacheops, django-defender): ``run.py`` runs one scenario in a
process of its own (Django is configured once per process) and prints
what it observed as JSON, for tests/test_libraries_django_orm.py."""
