-- The floor of the rolling-window definition (issue 15): numbers in treatment, the simplest measure that
-- has what every treatment measure has, and nothing more.
--
-- kpis.md counts a client once in every quarter whose window W (the 12 months ending E) holds a day of
-- one of their journeys: TRIAGED <= E and (DISD is empty or DISD >= S). W is four whole quarters, so a
-- journey is in treatment in the quarters from that of TRIAGED to three after that of DISD (to the last
-- while open): an interval. A client is in treatment in the union of their journeys' intervals. This
-- file counts them the fastest way we found: each client's intervals merged (one sort by client), then
-- +1 where a merged interval starts and -1 after it ends, summed along the quarters. It reads the same
-- current journeys as the refresh (refreshed_journeys), for every partnership, and returns one row per
-- partnership and quarter: dat, period, clients. Its figures must equal the product's `in_treatment`
-- (whole partnership) for every quarter the product has; the benchmark checks that before it reports
-- the time.
--
-- What it leaves out of refresh_all: the other 24 measures, the per-journey facts they test (effective,
-- completed, re-presented, retained, open, TOPs due and done, ...), the client's attributes (their latest
-- journey in W), the providers and teams (clients counted once in each), the eight breakdowns, the
-- statistics and the writing of the results.

WITH spans AS (
    SELECT
        dat,
        client_key,
        (year(triaged) * 12 + month(triaged) - 4) // 3 AS a,
        coalesce((year(disd) * 12 + month(disd) - 4) // 3 + 3, 2147483000) AS b
    FROM refreshed_journeys
),
marked AS (
    SELECT dat, client_key, a, b,
           max(b) OVER (PARTITION BY dat, client_key ORDER BY a, b
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM spans
),
islands AS (
    SELECT dat, client_key, a, b,
           sum((reach IS NULL OR a > reach + 1)::INTEGER) OVER (PARTITION BY dat, client_key ORDER BY a, b) AS island
    FROM marked
),
merged AS (
    SELECT dat, min(a) AS a, max(b) AS b FROM islands GROUP BY dat, client_key, island
),
changes AS (
    SELECT dat, a AS qi, 1 AS change FROM merged
    UNION ALL
    SELECT dat, b + 1, -1 FROM merged WHERE b < 2147483000
),
counts AS (
    SELECT dat, qi, sum(sum(change)) OVER (PARTITION BY dat ORDER BY qi) AS clients
    FROM changes
    GROUP BY dat, qi
)
SELECT
    dat,
    (qi // 4)::VARCHAR || '-' || lpad(((qi // 4 + 1) % 100)::VARCHAR, 2, '0') || ' Q' || (qi % 4 + 1)::VARCHAR
        AS period,
    qi,
    clients
FROM counts
