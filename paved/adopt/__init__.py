"""`paved adopt`: linking a repository paved did not generate to a golden path."""
