"""When the pandas reference and the product differ: which reading of kpis.md explains it.

The one place where kpis.md can be read two ways for these measures is a client with more than one
successful discharge in W: kpis.md counts them when *a* journey was discharged successfully in W and no
journey followed within 182 days of that discharge; metrics/sql/treatment.sql documents that it judges
the client's *latest* successful discharge in W. The reference is recomputed under the second reading
for the partnerships that differ: if the differences vanish, that choice is the cause.
"""

from __future__ import annotations

import pandas as pd

from bench.pandas_reference import compare, product_figures, reference_measures
from loaders.store import Store


def explain_mismatches(store: Store, mismatches: pd.DataFrame) -> str:
    """A paragraph for results.md saying what the differences are and, where it can, why."""
    areas = tuple(sorted(set(mismatches["area"])))
    by_kpi = mismatches.groupby("kpi").size().to_dict()
    text = [f"The differences by measure: {by_kpi}."]
    product = product_figures(store)
    latest = reference_measures(store, areas=areas, completion_rule="latest").figures
    product = product[product["area"].isin(areas)]
    remaining = compare(latest, product).mismatches
    if remaining.empty:
        text.append(
            f"All {len(mismatches)} differences disappear when the reference judges each client's completion on "
            "their latest successful discharge in W (the choice written in metrics/sql/treatment.sql) instead of "
            "on any successful discharge in W (kpis.md's words: 'with a journey discharged successfully in W who "
            "then did not re-present'). The product departs from the letter of kpis.md here: either kpis.md "
            "should state the latest-discharge rule (if that is what NDTMS does) or the SQL should follow kpis.md.")
    else:
        text.append(
            f"{len(remaining)} differences remain when completions are judged on the latest successful discharge "
            "in W, so that choice does not explain them: the reference's rules are in the docstring of "
            "bench/pandas_reference.py; check the listed partnerships and quarters against kpis.md by hand.")
    return " ".join(text)
