"""Version 1: caching frequent queries."""

import json


class FakeDB:
    def __init__(self):
        self.rows = {1: {"id": 1, "name": "Ada"}}
        self.queries = 0

    def fetch(self, user_id):
        self.queries += 1
        return dict(self.rows[user_id])

    def save(self, user_id, data):
        self.rows[user_id] = dict(data)


def test_second_read_comes_from_the_cache(impl, redis):
    db = FakeDB()
    assert impl.get_user(redis, 1, db.fetch) == {"id": 1, "name": "Ada"}
    assert impl.get_user(redis, 1, db.fetch) == {"id": 1, "name": "Ada"}
    assert db.queries == 1, "the second call should not query the database"


def test_entry_is_json_with_a_ttl(impl, redis):
    impl.get_user(redis, 1, FakeDB().fetch, ttl=120)
    assert json.loads(redis.get("user:1")) == {"id": 1, "name": "Ada"}
    assert 0 < redis.ttl("user:1") <= 120, "cache entries must expire"


def test_update_invalidates(impl, redis):
    db = FakeDB()
    impl.get_user(redis, 1, db.fetch)
    impl.update_user(redis, 1, {"id": 1, "name": "Ada Lovelace"}, db.save)
    assert impl.get_user(redis, 1, db.fetch)["name"] == "Ada Lovelace"
    assert db.queries == 2
