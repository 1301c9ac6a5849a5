-- Treatment Outcomes Profile measures (kpis.md, "Treatment Outcomes Profile measures"), for every
-- partnership being refreshed, every quarter and the provider and team breakdowns at once.
--
-- Reads refresh_quarters, refresh_days and refresh_current_tops (built by metrics/results.py) and
-- refresh_journeys (built by treatment.sql, which runs first). refresh_days gives, for each calendar
-- day, the run of quarters (quarter indices qi, as in refresh_quarters) whose windows hold it: [w_lo, w_hi]
-- for W, [top_lo, top_hi] for the 12 months ending E - 14, [review_lo, review_hi] for [S, E - 28].
-- Its last statement returns long rows: kpi, dat, period, breakdown, grp, window_start, window_end,
-- numerator, denominator.
--
-- A TOP belongs to the journey with the same DAT, AGNCY and EPISODID; its stage is read through code list
-- 'top_stage' (categories start / review / exit). Expected TOPs are grouped by their journey's provider
-- and team; exit TOPs completed (top_exits) by the TOP's own provider. "Within N days either side" means
-- |TOPDATE - due date| <= N days, so a TOP 14 (28) days away is in time and one 15 (29) days away is not.
-- Each expected TOP counts in every quarter whose window holds its due date, so the counts are made once
-- per due date and then spread over those quarters.

CREATE OR REPLACE TEMP TABLE refresh_top_forms AS
SELECT t.dat, t.agncy, t.topdate, stage.category AS stage, j.jid
FROM refresh_current_tops t
JOIN code_lists stage ON stage.list = 'top_stage' AND stage.code = t.trstage
LEFT JOIN refresh_journeys j ON j.dat = t.dat AND j.agncy = t.agncy AND j.episodid = t.episodid;


CREATE OR REPLACE TEMP TABLE refresh_tops_due AS
WITH bounds AS (
    SELECT dat, min(s) AS first_start, max(review_end) AS last_review_end FROM refresh_quarters GROUP BY dat
),
due AS (
    -- Start: every journey, due on TRIAGED. Exit: every successful discharge, due on DISD.
    SELECT jid, dat, agncy, team, 'start' AS stage, triaged AS due FROM refresh_journeys
    UNION ALL
    SELECT jid, dat, agncy, team, 'exit', disd FROM refresh_journeys WHERE discharge_class = 'successful'
    UNION ALL
    -- Review: six-month anniversaries A = TRIAGED + 182 x k (k = 1, 2, ...) while the journey is open at A
    -- (before its DISD), from the first quarter's S to the last review bound of the partnership's quarters.
    SELECT jid, dat, agncy, team, 'review', triaged + CAST(182 * k AS INTEGER)
    FROM (
        SELECT
            j.jid, j.dat, j.agncy, j.team, j.triaged,
            unnest(range(
                greatest((b.first_start - j.triaged + 181) // 182, 1),
                (least(coalesce(j.disd - 1, b.last_review_end), b.last_review_end) - j.triaged) // 182 + 1
            )) AS k
        FROM refresh_journeys j
        JOIN bounds b USING (dat)
    )
)
-- In time: a TOP of that stage for the journey within 14 days either side of the due date (28 for reviews).
,
relevant AS (
    SELECT row_number() OVER () AS did, * FROM due WHERE due >= (SELECT min(day) FROM refresh_days)
),
done AS (
    -- A plain join (which DuckDB can spill to disk under its memory limit), not a correlated EXISTS.
    SELECT DISTINCT d.did
    FROM relevant d
    JOIN refresh_top_forms t
      ON t.jid = d.jid AND t.stage = d.stage
     AND abs(t.topdate - d.due) <= CASE WHEN d.stage = 'review' THEN 28 ELSE 14 END
)
SELECT d.dat, d.agncy, d.team, d.stage, d.due, done.did IS NOT NULL AS done
FROM relevant d
LEFT JOIN done USING (did);


WITH due_by_quarters AS (
    -- Start and exit TOPs are expected in the quarters whose 12 months ending E - 14 hold the due date;
    -- reviews in those whose [S, E - 28] holds the anniversary.
    SELECT
        d.dat, d.agncy, d.team, d.stage,
        CASE WHEN d.stage = 'review' THEN days.review_lo ELSE days.top_lo END AS lo,
        CASE WHEN d.stage = 'review' THEN days.review_hi ELSE days.top_hi END AS hi,
        count(*) AS due,
        count(*) FILTER (WHERE d.done) AS done
    FROM refresh_tops_due d
    JOIN refresh_days days ON days.day = d.due
    GROUP BY ALL
),

due_by_quarter AS (
    SELECT q.dat, q.period, d.agncy, d.team, d.stage, sum(d.due) AS due, sum(d.done) AS done
    FROM due_by_quarters d
    JOIN refresh_quarters q ON q.dat = d.dat AND q.qi BETWEEN d.lo AND d.hi
    GROUP BY ALL
),

compliance AS (
    SELECT
        dat,
        period,
        CASE WHEN grouping(team) = 0 THEN 'team' WHEN grouping(agncy) = 0 THEN 'provider' ELSE '' END
            AS breakdown,
        CASE
            WHEN grouping(team) = 0 THEN agncy || '/' || coalesce(nullif(team, ''), '(no team)')
            ELSE coalesce(agncy, '')
        END AS grp,
        sum(done) AS done,
        sum(due) AS due,
        sum(done) FILTER (WHERE stage = 'start') AS start_done,
        sum(due) FILTER (WHERE stage = 'start') AS start_due,
        sum(done) FILTER (WHERE stage = 'review') AS review_done,
        sum(due) FILTER (WHERE stage = 'review') AS review_due,
        sum(done) FILTER (WHERE stage = 'exit') AS exit_done,
        sum(due) FILTER (WHERE stage = 'exit') AS exit_due
    FROM due_by_quarter
    GROUP BY GROUPING SETS ((dat, period), (dat, period, agncy), (dat, period, agncy, team))
),

exit_forms AS (
    -- Exit TOPs dated in W, by the TOP's own provider.
    SELECT
        q.dat,
        q.period,
        CASE WHEN grouping(f.agncy) = 0 THEN 'provider' ELSE '' END AS breakdown,
        coalesce(f.agncy, '') AS grp,
        sum(f.forms) AS forms
    FROM (
        SELECT t.dat, t.agncy, days.w_lo, days.w_hi, count(*) AS forms
        FROM refresh_top_forms t
        JOIN refresh_days days ON days.day = t.topdate
        WHERE t.stage = 'exit'
        GROUP BY ALL
    ) f
    JOIN refresh_quarters q ON q.dat = f.dat AND q.qi BETWEEN f.w_lo AND f.w_hi
    GROUP BY GROUPING SETS ((q.dat, q.period), (q.dat, q.period, f.agncy))
),

measures AS (
    SELECT c.dat, c.period, c.breakdown, c.grp, m.*
    FROM compliance c,
    (VALUES
        ('top_compliance', c.done, c.due),
        ('top_start_compliance', c.start_done, c.start_due),
        ('top_review_compliance', c.review_done, c.review_due),
        ('top_exit_compliance', c.exit_done, c.exit_due)
    ) m(kpi, numerator, denominator)
    UNION ALL
    SELECT dat, period, breakdown, grp, 'top_exits', forms, NULL
    FROM exit_forms
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
