"""The LMS core: app factory, plugin loader and the services every plugin uses."""

__version__ = "0.1.0"
