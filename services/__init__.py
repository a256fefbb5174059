"""Aarya's nameko services, one folder each. Importing the kit first applies its warning filters."""
import kit  # noqa: F401
