"""The sound edge: synthesis, PCM and the chime, aplay children, the speaker, export."""
