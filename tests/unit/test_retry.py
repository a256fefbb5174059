"""kit.retry: the one reconnect loop (pure logic; the loops that use it are tested against real
servers in tests/resilience and tests/bridge)."""
import pytest

from kit.retry import Backoff, call_with_retries, run_forever


def test_backoff_doubles_to_its_cap_and_starts_over_after_reset():
    backoff = Backoff(start=0.1, cap=0.5)
    assert [backoff.failed() for _ in range(5)] == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
    backoff.reset()
    assert backoff.failed() == pytest.approx(0.1)


def test_backoff_refuses_a_cap_below_its_start():
    with pytest.raises(ValueError):
        Backoff(start=1.0, cap=0.5)


def _steps(outcomes):
    """A step that raises or returns as `outcomes` says, then asks the loop to stop."""
    calls = []

    def step():
        calls.append(len(calls))
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome

    return step, calls, lambda: len(calls) >= len(outcomes)


def test_failures_wait_growing_delays_and_a_success_resets_them():
    step, calls, stopped = _steps([OSError("down"), OSError("down"), None, OSError("down"), None])
    waits = []
    run_forever(step, name="t", stopped=stopped, sleep=waits.append, start=0.1, cap=1.0)
    assert len(calls) == 5
    assert waits == pytest.approx([0.1, 0.2, 0.1])


def test_on_error_returning_true_starts_the_delays_over():
    step, _, stopped = _steps([OSError(), OSError(), OSError(), None])
    waits = []
    run_forever(step, name="t", stopped=stopped, sleep=waits.append, start=0.1, cap=1.0,
                on_error=lambda exc: True)
    assert waits == pytest.approx([0.1, 0.1, 0.1])


def test_an_exception_outside_retry_on_ends_the_loop():
    step, _, stopped = _steps([KeyError("bug"), None])
    with pytest.raises(KeyError):
        run_forever(step, name="t", stopped=stopped, sleep=lambda s: None, retry_on=(OSError,))


def test_no_wait_after_the_failure_that_came_with_a_stop_request():
    state = {"stop": False}

    def step():
        state["stop"] = True
        raise OSError("down while stopping")

    waits = []
    run_forever(step, name="t", stopped=lambda: state["stop"], sleep=waits.append)
    assert waits == []


def test_a_bounded_call_returns_once_a_try_succeeds_after_growing_waits():
    step, calls, _ = _steps([OSError("down"), OSError("down"), None])
    waits = []
    call_with_retries(step, name="t", attempts=5, sleep=waits.append, start=1.0, cap=8.0)
    assert len(calls) == 3
    assert waits == pytest.approx([1.0, 2.0])


def test_a_bounded_call_raises_its_last_failure_after_the_last_attempt():
    step, calls, _ = _steps([OSError("down")] * 5 + [None])
    waits = []
    with pytest.raises(OSError):
        call_with_retries(step, name="t", attempts=5, sleep=waits.append, start=1.0, cap=8.0)
    assert len(calls) == 5
    assert waits == pytest.approx([1.0, 2.0, 4.0, 8.0])


def test_calls_sharing_a_backoff_share_one_count_of_failures():
    shared = Backoff(start=1.0, cap=8.0)
    first, _, _ = _steps([OSError(), OSError(), None])
    call_with_retries(first, name="t", attempts=3, sleep=lambda s: None, backoff=shared)
    second, calls, _ = _steps([OSError(), None])
    with pytest.raises(OSError):  # the third failure of the shared budget
        call_with_retries(second, name="t", attempts=3, sleep=lambda s: None, backoff=shared)
    assert len(calls) == 1
