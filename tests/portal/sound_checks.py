"""What a portal page's player plays, measured in real Chromium (a Playwright page): that it plays
with sound and pictures, how loud (through Web Audio), the level bar of a sound-only player, and the
microphone panel's measured level and FFT peak (``portal/static/channels.js`` publishes both)."""

from __future__ import annotations

from typing import Any

VIDEO = "document.getElementById('video')"


def loudest_sound_script(element: str = "video", windows: int = 20) -> str:
    """JavaScript for ``page.evaluate`` (sync or async Playwright): unmute the player ``element`` (an
    id) and return the loudest RMS of what it plays, through a Web Audio analyser, over ``windows``
    windows 100 ms apart."""
    return f"""async () => {{
  // what the page plays, measured through Web Audio once the viewer turns the sound on
  const player = document.getElementById('{element}');
  player.muted = false;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaElementSource(player).connect(analyser);
  analyser.connect(context.destination);
  await context.resume();
  const samples = new Float32Array(analyser.fftSize);
  let loudest = 0;
  for (let i = 0; i < {windows}; i++) {{
    await new Promise((done) => setTimeout(done, 100));
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const value of samples) sum += value * value;
    loudest = Math.max(loudest, Math.sqrt(sum / samples.length));
  }}
  return loudest;
}}"""


_CHANNELS = (
    "const p = document.getElementById('channels');"
    " const level = parseFloat(p.dataset.level), hz = parseInt(p.dataset.peakHz, 10);"
)


def play_until(page: Any, seconds: float, *, timeout: float = 45000) -> None:
    """Start the page's player and wait until it has played past ``seconds``."""
    page.evaluate(f"() => {VIDEO}.play()")
    page.wait_for_function(f"() => {VIDEO}.currentTime > {seconds}", timeout=timeout)


def loudest_sound(page: Any) -> float:
    """Unmute the player and return the loudest RMS of what it plays over about two seconds (a
    tone of the test recordings is well above 0.01; silence is 0). Call it once per page: Web Audio
    takes the player's element over."""
    return float(page.evaluate(loudest_sound_script()))


def assert_plays_sound_and_picture(page: Any, *, width: int = 320) -> None:
    """The player has decoded sound and pictures, the pictures ``width`` wide."""
    decoded = page.evaluate(
        f"() => {{ const v = {VIDEO};"
        " return [v.webkitAudioDecodedByteCount, v.webkitVideoDecodedByteCount, v.videoWidth]; }"
    )
    assert decoded[0] > 0 and decoded[1] > 0 and decoded[2] == width, (
        f"decoded (sound, picture, width): {decoded}"
    )


def wait_for_level_bar(page: Any, above: float, *, timeout: float = 45000) -> None:
    """Wait until the sound-only player's level bar (``.level``) shows more than ``above``."""
    page.wait_for_function(
        f"() => parseFloat(document.querySelector('.level').dataset.level || '0') > {above}", timeout=timeout
    )


def wait_for_channels(page: Any, condition: str, what: str, *, timeout: float = 20000) -> None:
    """Wait until the microphone panel's measurement meets ``condition``, a JavaScript expression of
    ``level`` (RMS of what is heard) and ``hz`` (its FFT peak); AssertionError naming ``what`` if not."""
    try:
        page.wait_for_function(f"() => {{ {_CHANNELS} return {condition}; }}", timeout=timeout)
    except Exception as exc:  # Playwright's TimeoutError: say what was waited for, and what was seen
        seen = page.evaluate(f"() => {{ {_CHANNELS} return [level, hz]; }}")
        raise AssertionError(f"waited in vain for {what} (level, peak Hz now: {seen})") from exc


def wait_for_peak(page: Any, hz: int, what: str) -> None:
    """Wait until what is heard is loud (level over 0.2) with its FFT peak within 30 Hz of ``hz``."""
    wait_for_channels(page, f"level > 0.2 && Math.abs(hz - {hz}) < 30", what)
