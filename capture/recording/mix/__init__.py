"""The microphones' mix: one more sound track summed from the recorded microphones on the recording's
media time.
"""
