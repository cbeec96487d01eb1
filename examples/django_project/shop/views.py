"""Views: a session counter, a rate-limited API and a page cached with
``cache_page``."""

import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import csrf_exempt

import redcore
from redcore.ratelimit import FixedWindow
from redcore.ratelimit.django import ratelimit

from . import settings

QUERIES = {"products": 0}  # how often the slow query really ran

per_client = FixedWindow(redcore.Redis.from_url(settings.REDIS_URL), "ratelimit:ping", limit=5, window=60)


@csrf_exempt
def login(request: HttpRequest) -> HttpResponse:
    request.session.cycle_key()  # a fresh session id on login
    request.session["user"] = request.POST.get("user", "anonymous")
    request.session["visits"] = 0
    return JsonResponse({"ok": True})


def me(request: HttpRequest) -> HttpResponse:
    if "user" not in request.session:
        return JsonResponse({"error": "not logged in"}, status=401)
    request.session["visits"] += 1
    return JsonResponse({"user": request.session["user"], "visits": request.session["visits"]})


@csrf_exempt
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return JsonResponse({"ok": True})


@ratelimit(per_client)
def ping(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"pong": True})


@cache_page(60)
def products(request: HttpRequest) -> HttpResponse:
    QUERIES["products"] += 1
    time.sleep(0.05)  # the slow query the cache saves
    return JsonResponse({"products": ["keyboard", "mouse"], "rendered_at": time.time()})
