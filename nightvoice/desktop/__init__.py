"""The desktop edge: the session bus, where media keys and headset buttons come from."""
