"""The user's things: folders, routines catalog, settings, the episode log, starters."""
