"""Stand-ins for an execution module's plan and apply that record their calls, for
the tests of the thin states: the state must call plan, then apply only for real
and only with what plan returned."""


def plan_and_apply(plan, applied=None):
    """Return ``(calls, planner, applier)``: ``planner`` returns ``plan`` and ``applier``
    returns ``applied`` (each raises it instead when it is an exception), both append
    what they were given to ``calls``."""
    calls = []

    def planner(*args, **kwargs):
        calls.append(("plan", args, kwargs))
        if isinstance(plan, Exception):
            raise plan
        return plan

    def applier(planned, **settings):
        # The daemon's apply also takes the TLS settings the plan was made with.
        calls.append(("apply", planned, settings) if settings.get("tls") else ("apply", planned))
        if isinstance(applied, Exception):
            raise applied
        return applied

    return calls, planner, applier
