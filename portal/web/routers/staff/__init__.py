"""Routes for court staff: cases, hearings, broadcasts, courtrooms, recordings, reviews, enforcement and
the device fleet.
"""
