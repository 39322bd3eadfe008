"""Min/max networks that select the median of ``n`` values (used by the median filter).

A median built from element-wise ``minimum``/``maximum`` only is exact, needs no sort op and converts
to TFLite builtins (MINIMUM/MAXIMUM) and ONNX (Min/Max). The 3x3 case uses Paeth's 19-comparator
median-of-9 network; other sizes use Batcher's odd-even merge sort (padded to a power of two with
+inf wires). Every comparator output the median does not depend on is pruned.
"""

# Paeth's median-of-9 network (Graphics Gems, 1990): 19 compare-exchange steps.
_PAETH_MEDIAN_9 = (
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 1),
    (3, 4),
    (6, 7),
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 3),
    (5, 8),
    (4, 7),
    (3, 6),
    (1, 4),
    (2, 5),
    (4, 7),
    (2, 4),
    (4, 6),
    (2, 4),
)


def _batcher_comparators(size):
    """Compare-exchange pairs (low, high) of Batcher's odd-even merge sort for a power of two."""
    pairs = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return pairs


def median_selection_ops(n):
    """Returns ``(ops, output)``: the min/max steps that leave the median of ``n`` inputs in ``output``.

    Values are numbered: ``0..n-1`` are the inputs, ``n + i`` is the result of ``ops[i]``. Each op is
    ``(kind, a, b)`` with kind ``"min"`` or ``"max"``; ops are in dependency order. ``n`` must be odd.
    """
    if n < 1 or n % 2 == 0:
        raise ValueError(f"The median selection needs an odd number of values, got n={n}.")
    if n == 9:
        size, comparators = 9, _PAETH_MEDIAN_9
    else:
        size = 1 << (n - 1).bit_length()
        comparators = _batcher_comparators(size)
    infinity = -1
    wires = list(range(n)) + [infinity] * (size - n)
    ops = []
    for low, high in comparators:
        a, b = wires[low], wires[high]
        if b == infinity:
            continue
        if a == infinity:
            wires[low], wires[high] = b, a
            continue
        ops += [("min", a, b), ("max", a, b)]
        wires[low], wires[high] = n + len(ops) - 2, n + len(ops) - 1
    return _prune(ops, n, wires[n // 2])


def _prune(ops, n, output):
    """Drops the ops ``output`` does not depend on and renumbers the rest."""
    needed = {output}
    for index in range(len(ops) - 1, -1, -1):
        if n + index in needed:
            needed.update(ops[index][1:])
    renumber = {value: value for value in range(n)}
    kept = []
    for index, (kind, a, b) in enumerate(ops):
        if n + index in needed:
            renumber[n + index] = n + len(kept)
            kept.append((kind, renumber[a], renumber[b]))
    return kept, renumber[output]
