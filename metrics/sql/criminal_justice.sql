-- Criminal-justice measures from the Drug Interventions Programme returns (kpis.md, "Criminal-justice
-- measures"), for every partnership being refreshed and every quarter at once.
--
-- Reads refresh_quarters and refresh_current_dip (built by metrics/results.py). Returns long rows: kpi, dat,
-- period, breakdown, grp, window_start, window_end, numerator, denominator.
--
-- W is the 12 months of the window (MONTH is stored as the month's first day, and S is always the first
-- of a month). Each quarter gets the sums over those months for the whole partnership and for each custody
-- suite, and each month of the quarter gets a row of its own (breakdown 'month', grp 'YYYY-MM', window =
-- that month, period = the quarter holding it) for the month-by-month view.

WITH rolling AS (
    SELECT
        q.dat,
        q.period,
        CASE WHEN grouping(d.suite) = 0 THEN 'suite' ELSE '' END AS breakdown,
        coalesce(d.suite, '') AS grp,
        q.s AS window_start,
        q.e AS window_end,
        sum(d.trigger_arrests) AS trigger_arrests,
        sum(d.tests) AS tests,
        sum(d.pos_opi + d.pos_coc + d.pos_both) AS positive,
        sum(d.ra_required) AS ra_required,
        sum(d.ra_attended) AS ra_attended,
        sum(d.referred) AS referred,
        sum(d.entered) AS entered
    FROM refresh_quarters q
    JOIN refresh_current_dip d ON d.dat = q.dat AND d.month BETWEEN q.s AND q.e
    GROUP BY GROUPING SETS ((q.dat, q.period, q.s, q.e), (q.dat, q.period, q.s, q.e, d.suite))
),

months AS (
    SELECT q.dat, q.period, CAST(m.month AS DATE) AS month
    FROM refresh_quarters q, unnest(generate_series(q.qs, q.e, INTERVAL 1 MONTH)) m(month)
),

monthly AS (
    -- Every month of every quarter, with or without a return (no return: nothing to measure).
    SELECT
        m.dat,
        m.period,
        'month' AS breakdown,
        strftime(m.month, '%Y-%m') AS grp,
        m.month AS window_start,
        last_day(m.month) AS window_end,
        coalesce(sum(d.trigger_arrests), 0) AS trigger_arrests,
        coalesce(sum(d.tests), 0) AS tests,
        coalesce(sum(d.pos_opi + d.pos_coc + d.pos_both), 0) AS positive,
        coalesce(sum(d.ra_required), 0) AS ra_required,
        coalesce(sum(d.ra_attended), 0) AS ra_attended,
        coalesce(sum(d.referred), 0) AS referred,
        coalesce(sum(d.entered), 0) AS entered
    FROM months m
    LEFT JOIN refresh_current_dip d ON d.dat = m.dat AND d.month = m.month
    GROUP BY ALL
),

sums AS (
    SELECT * FROM rolling
    UNION ALL
    SELECT * FROM monthly
)

SELECT
    m.kpi,
    s.dat,
    s.period,
    s.breakdown,
    s.grp,
    s.window_start,
    s.window_end,
    m.numerator::DOUBLE AS numerator,
    m.denominator::DOUBLE AS denominator
FROM sums s,
(VALUES
    ('toa_test_rate', s.tests, s.trigger_arrests),
    ('toa_positivity', s.positive, s.tests),
    ('ra_attendance', s.ra_attended, s.ra_required),
    ('dip_treatment_entry', s.entered, s.referred)
) m(kpi, numerator, denominator)
