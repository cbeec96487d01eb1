"""Version 2: real-time analytics with sorted sets and HyperLogLog."""


def visits(impl, redis):
    for page, user in [("/", "ada"), ("/", "bob"), ("/", "ada"), ("/docs", "ada"), ("/pricing", "cy"), ("/docs", "bob")]:
        impl.record_visit(redis, page, user)


def test_top_pages(impl, redis):
    visits(impl, redis)
    assert impl.top_pages(redis, 2) == [("/", 3), ("/docs", 2)]


def test_unique_visitors(impl, redis):
    visits(impl, redis)
    assert impl.unique_visitors(redis) == 3
    assert impl.unique_visitors(redis, "/") == 2
    assert redis.type("visitors") == b"string", "use a HyperLogLog (PFADD) for unique counts"


def test_many_visitors_counted_approximately(impl, redis):
    for i in range(2000):
        impl.record_visit(redis, "/", f"user{i}")
    assert abs(impl.unique_visitors(redis) - 2000) < 60
