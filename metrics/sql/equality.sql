-- Equality and data-quality measures (kpis.md, "Equality and data-quality measures"), for every
-- partnership being refreshed, every quarter and every breakdown at once.
--
-- Reads refresh_quarters (built by metrics/results.py) and refresh_client_counts and
-- refresh_journey_counts (built by treatment.sql, which runs first: the same pass over the journeys
-- counts what both families need). Returns long rows: kpi, dat, period, breakdown, grp, window_start,
-- window_end, numerator, denominator.
--
-- Ethnicity is read through code list 'ethnicity': category 'Not stated' (Z) is left out of both shares;
-- the BME share counts every category other than 'White' (A, B, C); the ethnic minority share counts every
-- code except A (White British), as kpis.md defines it. A client's ethnicity is that of their latest
-- journey in W (see treatment.sql). Parental status is recorded when PRNTSTAT is in code list
-- 'parental_status' (11 to 15, "declined" included); INJSTAT is recorded when it is in 'injecting_status'
-- (Z, declined, is an answer). Both journey-level measures break down by the journey's own attributes.

WITH measures AS (
    SELECT c.dat, c.period, c.breakdown, c.grp, m.*
    FROM refresh_client_counts c,
    (VALUES
        ('bme_share', c.black_minority_ethnic, c.ethnicity_stated),
        ('ethnic_minority_share', c.ethnic_minority, c.ethnicity_stated)
    ) m(kpi, numerator, denominator)
    UNION ALL
    SELECT j.dat, j.period, j.breakdown, j.grp, m.*
    FROM refresh_journey_counts j,
    (VALUES
        ('parental_status_recorded', j.parental_status_recorded, j.started),
        ('data_quality', j.fully_recorded, j.in_window)
    ) m(kpi, numerator, denominator)
)

SELECT
    m.kpi,
    m.dat,
    m.period,
    m.breakdown,
    m.grp,
    q.s AS window_start,
    q.e AS window_end,
    m.numerator::DOUBLE AS numerator,
    m.denominator::DOUBLE AS denominator
FROM measures m
JOIN refresh_quarters q USING (dat, period)
