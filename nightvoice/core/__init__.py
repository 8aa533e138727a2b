"""The pure core: routine model, loader, planner and player, behind small ports.

Nothing here imports click, pyttsx3, termios, subprocess or `time`; a test keeps it so.
"""
