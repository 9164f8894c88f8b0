"""One pydantic model per form key. The engine validates task input against these.

The annual cycle's forms are here, the forms of the duties beyond it in
``forms.schemas.duties``; ``forms.schemas.registry`` maps every form key to its model.
"""
