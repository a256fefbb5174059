"""The gateway's request latencies folded per route and second, and the sample both sides
read: pure logic, no servers (tests/analytics/test_sales_add_up.py runs them through Redis,
the analytics service and InfluxDB)."""
import pytest

from gateway.routes.analytics import LatencyWindows
from kit import analytics_live


def test_requests_of_a_route_in_one_second_fold_into_one_window(monkeypatch):
    clock = iter([1_000.2, 1_000.5, 1_000.9, 1_001.1, 1_000.95])
    monkeypatch.setattr("gateway.routes.analytics.time.time", lambda: next(clock))
    windows = LatencyWindows(every_s=3600)      # no flush during the test
    windows.add("GET /a", 4.0)
    windows.add("GET /a", 9.0)
    windows.add("GET /b", 1.0)
    windows.add("GET /a", 2.0)                  # the next second
    windows.add("GET /a", 3.0)                  # a late finisher of the first second
    assert windows.windows == {("GET /a", 1000): [3, 16.0, 9.0], ("GET /b", 1000): [1, 1.0, 1.0],
                               ("GET /a", 1001): [1, 2.0, 2.0]}


def test_a_full_buffer_still_counts_its_windows_but_opens_no_new_one():
    windows = LatencyWindows(every_s=3600, cap=1)
    windows.add("GET /a", 1.0)
    windows.add("GET /b", 1.0)
    windows.add("GET /a", 2.0)
    assert [w[0] for w in windows.windows.values()] == [2]


def test_a_sample_reads_back_as_it_was_written():
    sample = analytics_live.latency_sample("GET /api/products/<int:id>", 3, 12.5, 7.25,
                                           1_700_000_000)
    assert sample == "GET /api/products/<int:id>|3|12.500|7.250|1700000000000"
    assert analytics_live.parse_latency_sample(sample) == \
        ("GET /api/products/<int:id>", 3, 12.5, 7.25, 1_700_000_000_000)


def test_an_older_one_request_sample_is_a_window_of_one():
    assert analytics_live.parse_latency_sample("GET /x|4.5|1700000000123") == \
        ("GET /x", 1, 4.5, 4.5, 1_700_000_000_123)


@pytest.mark.parametrize("sample", ["GET /x|0|0.0|0.0|1700000000000", "GET /x|1|a|1|2",
                                    "nothing", "GET /x|1.5"])
def test_a_malformed_sample_is_a_value_error(sample):
    with pytest.raises(ValueError):
        analytics_live.parse_latency_sample(sample)
