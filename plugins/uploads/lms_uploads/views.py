"""Pages of the uploads plugin (none of its own yet: the drop zone lives in the lesson editor)."""
