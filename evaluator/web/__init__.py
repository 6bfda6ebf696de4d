"""Pages that belong to no single feature: the home page and the shared page furniture."""
