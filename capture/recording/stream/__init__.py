"""One recorded source: its reader and supervisor, the media worker (overlay and caption, encode once,
sound placed on the timeline), the CMAF segmenter, the packet taps, overload watch and the pre-event handover.
"""
