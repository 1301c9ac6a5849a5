-- How far the extracts a measure needs besides journeys reach into each window asked about
-- (metrics/coverage.py turns the answer into 'full', 'partial' or 'none' and into words).
--
-- $areas, $starts and $ends are lists of the same length: one window [S, E] of one partnership each.
-- Returns one row per distinct window:
--   first_top  the earliest TOPDATE among the partnership's TOP rows (NULL: no TOPs at all)
--   last_end   the latest reporting-period end of its TOP rows
--   dip_months the months of the window with at least one current DIP row, oldest first
--
-- The rows of a withdrawn upload are deleted when it is withdrawn (loaders/load.py), so every row of
-- tops and dip belongs to an active upload. Only the asked partnerships' rows are read.

WITH windows AS (
    SELECT DISTINCT * FROM (
        SELECT unnest($areas::VARCHAR[]) AS area,
               unnest($starts::DATE[]) AS window_start,
               unnest($ends::DATE[]) AS window_end
    )
),

asked AS (
    SELECT DISTINCT area FROM windows
),

-- Every version of every TOP row, not only the current ones: each belongs to an active upload, which
-- carried TOPs of that date. The two differ only where a later upload moved a TOP's date into another
-- quarter, and then coverage starts at most that one quarter earlier; choosing the current versions
-- first takes a hundred times as long (3 s rather than 0.04 s over 2 million TOP rows). The latest
-- reporting period is the same either way: a row of the newest upload is always the current version.
tops_span AS (
    SELECT t.dat AS area, min(t.topdate) AS first_top, max(t.period_end) AS last_end
    FROM tops t
    SEMI JOIN asked a ON a.area = t.dat
    GROUP BY t.dat
),

-- A month has a current DIP row whenever any version of a row for it exists (versions replace each other).
dip_months AS (
    SELECT DISTINCT d.dat AS area, d.month
    FROM dip d
    SEMI JOIN asked a ON a.area = d.dat
)

SELECT
    w.area,
    w.window_start,
    w.window_end,
    any_value(s.first_top) AS first_top,
    any_value(s.last_end) AS last_end,
    coalesce(list(m.month ORDER BY m.month) FILTER (WHERE m.month IS NOT NULL), []) AS dip_months
FROM windows w
LEFT JOIN tops_span s ON s.area = w.area
LEFT JOIN dip_months m ON m.area = w.area AND m.month BETWEEN w.window_start AND w.window_end
GROUP BY w.area, w.window_start, w.window_end
