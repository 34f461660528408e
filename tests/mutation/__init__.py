"""Mutation testing (``make mutate``): the mutmut plugin and the survivors judged equivalent."""
