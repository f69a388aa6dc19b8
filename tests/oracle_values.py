"""The typed view of a Python value that oxible's differential tests compare (see `describe` in
tests/src/lib.rs, which prints oxible's values the same way)."""
import datetime, math


def describe(v):
    """[type name, value] with containers described recursively; floats as JSON numbers."""
    if v is None: return ["NoneType", None]
    if isinstance(v, bool): return ["bool", v]
    if isinstance(v, int): return ["int", int(v)]
    if isinstance(v, float):
        if math.isnan(v): return ["float", "nan"]
        if math.isinf(v): return ["float", "inf" if v > 0 else "-inf"]
        return ["float", float(v)]
    if isinstance(v, str): return ["str", str(v)]
    if isinstance(v, (list, tuple)): return ["list", [describe(x) for x in v]]
    if isinstance(v, dict): return ["dict", [[describe(k), describe(x)] for k, x in v.items()]]
    if isinstance(v, datetime.datetime): return ["datetime", str(v)]
    if isinstance(v, datetime.date): return ["date", str(v)]
    return ["unexpected", type(v).__name__]
