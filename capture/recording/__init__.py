"""Recording one room: the recorder, each stream's pipeline (encode once, overlay, caption, segment), the
journal lines it writes, overload and clock watch, the pre-event handover and the GPS track.
"""
