"""Audio in: microphone capture, file and stdin sources, resampling, VAD and endpointing,
and the listener that turns audio into transcripts."""
