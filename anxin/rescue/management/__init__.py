"""Management commands of the rescue app."""
