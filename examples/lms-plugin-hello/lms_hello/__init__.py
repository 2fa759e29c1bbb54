"""lms-plugin-hello: the example plugin. Its public API is what __all__ lists."""

__all__: list[str] = []
