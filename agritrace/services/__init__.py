"""Use cases: each one function that checks permission, validates, does the work in
one transaction, writes the audit row and returns a model. Pages, the API and the
CLI all call these."""
