"""Real devices on this machine: V4L2 cameras, ALSA and PulseAudio microphones, RTSP/HTTP IP cameras
(read through PyAV's FFmpeg inputs), and discovering what is attached."""
