"""CPU seconds used so far, the benchmarks' measure that does not depend on what else runs on the machine."""

import resource


def cpu_seconds(children=False):
    """User + system CPU seconds of this process (and, with ``children``, of its finished child processes)."""
    who = [resource.RUSAGE_SELF] + ([resource.RUSAGE_CHILDREN] if children else [])
    return sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime for w in who)
