"""Scripts that build the bundled example datasets (optional extras; see each module's docstring)."""
