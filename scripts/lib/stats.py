"""Number formatting shared by the experiment scripts' tables."""
import math
import statistics


def mean_sd(values, sign=""):
    """'m ± sd' of the finite values (just 'm' for one, '—' for none);
    sign='+' prints the mean with its sign (paired differences)."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "—"
    text = f"{statistics.mean(values):{sign}.2f}"
    if len(values) > 1:
        text += f" ± {statistics.stdev(values):.2f}"
    return text
