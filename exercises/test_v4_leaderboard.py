"""Version 4: leaderboards with sorted sets."""


def fill(impl, redis):
    for i in range(25):
        impl.add_points(redis, "board", f"p{i:02d}", i * 10)


def test_points_accumulate(impl, redis):
    assert impl.add_points(redis, "board", "ada", 10) == 10.0
    assert impl.add_points(redis, "board", "ada", 5.5) == 15.5


def test_top_and_rank(impl, redis):
    fill(impl, redis)
    assert impl.top(redis, "board", 3) == [("p24", 240.0), ("p23", 230.0), ("p22", 220.0)]
    assert impl.rank(redis, "board", "p24") == 1
    assert impl.rank(redis, "board", "p00") == 25
    assert impl.rank(redis, "board", "nobody") is None


def test_pages(impl, redis):
    fill(impl, redis)
    assert impl.page(redis, "board", 1, size=2) == [(1, "p24", 240.0), (2, "p23", 230.0)]
    third = impl.page(redis, "board", 3, size=10)
    assert [pos for pos, _, _ in third] == [21, 22, 23, 24, 25]
    assert impl.page(redis, "board", 4, size=10) == []
