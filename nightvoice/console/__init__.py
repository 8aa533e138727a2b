"""The terminal edge: the key reader and signals, the night screens, the real clock."""
