"""One pydantic model per form key. The engine validates task input against these."""
