"""The example project's behaviour, through Django's test client
(``manage.py test shop``)."""

from django.core.cache import cache
from django.test import SimpleTestCase

import redcore

from . import settings, views


class ShopTests(SimpleTestCase):
    def setUp(self) -> None:
        redcore.Redis.from_url(settings.REDIS_URL).flushdb()

    def test_session_lives_in_redis(self) -> None:
        self.assertEqual(self.client.get("/me").status_code, 401)
        self.client.post("/login", {"user": "ada"})
        self.assertEqual(self.client.get("/me").json(), {"user": "ada", "visits": 1})
        self.assertEqual(self.client.get("/me").json()["visits"], 2)
        sid = self.client.cookies["sessionid"].value
        self.assertTrue(redcore.Redis.from_url(settings.REDIS_URL).exists(f"session:{sid}"))
        self.client.post("/logout")
        self.assertEqual(self.client.get("/me").status_code, 401)

    def test_rate_limit(self) -> None:
        codes = [self.client.get("/api/ping").status_code for _ in range(7)]
        self.assertEqual(codes, [200] * 5 + [429] * 2)
        self.assertIn("Retry-After", self.client.get("/api/ping").headers)

    def test_cache_page(self) -> None:
        before = views.QUERIES["products"]
        first = self.client.get("/products").json()
        second = self.client.get("/products").json()
        self.assertEqual(first, second)
        self.assertEqual(views.QUERIES["products"], before + 1)
        cache.clear()
        self.client.get("/products")
        self.assertEqual(views.QUERIES["products"], before + 2)

    def test_low_level_cache(self) -> None:
        cache.set("greeting", {"text": "hello"}, timeout=30)
        self.assertEqual(cache.get("greeting"), {"text": "hello"})
        self.assertEqual(cache.get_or_set("counter", 1), 1)
        self.assertEqual(cache.incr("counter"), 2)
