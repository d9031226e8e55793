"""streaming: see DESIGN.md. Not built yet (its issue is open)."""

__all__: list[str] = []
