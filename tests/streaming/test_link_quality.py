"""The live link's adaptation: keyframes only on loss or a low REMB, back to full after a calm spell."""

from streaming.publisher.link_quality import LinkQuality, LiveMode


def _sending(quality: LinkQuality, bits_per_second: int, start: float, seconds: float) -> None:
    step = 1 / 30
    for index in range(round(seconds / step)):
        quality.sent(bits_per_second // 8 // 30, start + index * step)


def test_loss_reports_degrade_then_recover() -> None:
    quality = LinkQuality(recover_seconds=10)
    quality.start(0.0)
    assert quality.loss(0.2, 1.0) is LiveMode.FULL  # one bad report is not enough
    assert quality.loss(0.25, 2.0) is LiveMode.KEYFRAMES_ONLY
    assert quality.loss(0.0, 5.0) is LiveMode.KEYFRAMES_ONLY
    assert quality.tick(11.9) is LiveMode.KEYFRAMES_ONLY
    assert quality.tick(12.1) is LiveMode.FULL


def test_a_low_bandwidth_estimate_degrades_after_warm_up_only() -> None:
    quality = LinkQuality(warmup_seconds=5)
    quality.start(0.0)
    _sending(quality, 2_000_000, 0.0, 8.0)
    assert quality.remb(300_000, 3.0) is LiveMode.FULL  # estimators start low: ignored
    assert quality.remb(300_000, 6.0) is LiveMode.FULL
    assert quality.remb(300_000, 7.0) is LiveMode.KEYFRAMES_ONLY
    quality.start(20.0)  # a new connection starts clean
    assert quality.mode is LiveMode.FULL


def test_a_generous_estimate_keeps_full_mode() -> None:
    quality = LinkQuality()
    quality.start(0.0)
    _sending(quality, 1_000_000, 0.0, 8.0)
    for second in range(6, 9):
        assert quality.remb(5_000_000, float(second)) is LiveMode.FULL
