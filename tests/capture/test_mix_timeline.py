"""The mixed track's arithmetic: samples summed at their positions, dropouts not waited for."""

from __future__ import annotations

import numpy as np

from capture.recording.mix.mix_timeline import MixTimeline


def _ones(count: int, value: float = 0.25) -> np.ndarray:  # type: ignore[type-arg]
    return np.full(count, value, dtype=np.float32)


def test_inputs_are_summed_where_they_belong_and_waited_for() -> None:
    mix = MixTimeline(("a", "b"), dropout_seconds=2.0)
    mix.add("a", 0, _ones(100), now=0.0)
    assert mix.ready_until(0.1) == 0  # b has not started yet: waited for
    mix.add("b", 50, _ones(100, 0.5), now=0.1)
    assert mix.ready_until(0.2) == 100  # as far as both delivered
    out = mix.take(100)
    assert np.allclose(out[:50], 0.25) and np.allclose(out[50:], 0.75)


def test_a_silent_input_adds_nothing_and_the_sum_is_clipped() -> None:
    mix = MixTimeline(("a", "b"))
    mix.add("a", 0, _ones(10, 0.0), now=0.0)
    mix.add("b", 0, _ones(10, 0.5), now=0.0)
    assert np.allclose(mix.take(10), 0.5)
    mix.add("a", 10, _ones(10, 0.9), now=0.1)
    mix.add("b", 10, _ones(10, 0.9), now=0.1)
    assert np.allclose(mix.take(20), 1.0)  # never past full scale


def test_an_input_that_drops_out_does_not_stop_the_mix() -> None:
    mix = MixTimeline(("a", "b"), dropout_seconds=1.0)
    mix.add("a", 0, _ones(10), now=0.0)
    mix.add("b", 0, _ones(10), now=0.0)
    mix.add("b", 10, _ones(90), now=0.5)
    assert mix.ready_until(0.6) == 10  # a may still come
    assert mix.ready_until(1.2) == 100  # a has been away a second: b alone moves the mix
    assert np.allclose(mix.take(100)[10:], 0.25)
    mix.add("a", 20, _ones(10), now=1.3)  # a comes back late: what the mix passed is dropped
    assert mix.late_samples == 10


def test_nobody_delivering_is_silent_for_and_can_be_skipped() -> None:
    mix = MixTimeline(("a", "b"), dropout_seconds=1.0)
    mix.add("a", 0, _ones(10), now=0.0)
    mix.add("b", 0, _ones(10), now=0.0)
    mix.take(10)
    assert not mix.silent_for(0.5) and mix.silent_for(1.5)
    mix.skip_to(1000)
    assert mix.emitted == 1000 and mix.buffered_until == 1000
