"""Integrations with web frameworks, each imported on demand so redcore
itself needs none of them:

- :mod:`redcore.contrib.flask`: a Flask session interface on
  :class:`redcore.session.SessionStore`.
- :mod:`redcore.contrib.django`: a Django session engine
  (``redcore.contrib.django.session``) and cache backend
  (``redcore.contrib.django.cache.RedcoreCache``).

>>> import redcore.contrib  # imports no framework
"""
