"""What the review player page needs of a playback, for parties and staff alike: the chosen camera,
the playlist to load (a multivariant one when the camera's sound comes from the microphones), the
cameras to switch between and the microphones to listen to."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from portal.review.playback import Playback, cameras, choose_track, multivariant_playlist, sound_for

NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


def player_values(playback: Playback, stream: str | None) -> dict[str, Any]:
    """The player's template values for ``stream`` (default: the first camera)."""
    streams = cameras(playback.tracks)
    track = choose_track(playback.tracks, stream if stream is not None else (streams[0] if streams else None))
    sound = sound_for(playback.tracks, track)
    playlist = "master.m3u8" if sound else "playlist.m3u8"
    return {
        "route": playback.route,
        "stream": track.stream,
        "streams": streams,
        "microphones": [microphone.stream for microphone in sound],
        "audio_only": track.audio_only,
        "playlist_url": f"{playback.route}/{playlist}?stream={track.stream}",
    }


def multivariant_response(playback: Playback, stream: str | None) -> Response:
    """The camera's multivariant playlist (its pictures with the microphones' sound)."""
    track = choose_track(playback.tracks, stream)
    text = multivariant_playlist(playback.route, track, sound_for(playback.tracks, track))
    return Response(text, media_type="application/vnd.apple.mpegurl", headers=NO_STORE)
