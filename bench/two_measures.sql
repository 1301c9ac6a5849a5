-- The benchmark's floor: effective_treatment and completions_opiate for every partnership and quarter,
-- whole partnership only, in SQL written for those two measures alone (bench/, not the product).
--
-- It does the pandas reference's work (bench/pandas_reference.py) from the same input, the stored
-- versions of every journey, as directly as we could write it for DuckDB: the current version of each
-- journey by the product's own method (metrics/current.py), clients numbered once, a client with a single
-- journey counted without grouping, and only clients with several journeys grouped by client and quarter.
-- Its time says what SQL doing exactly the reference's work, and nothing more, takes on the machine: how
-- large a speed ratio against the reference that work can show here, whatever computes it.
-- The benchmark checks its figures equal the reference's before it reports the time.
--
-- Statements are separated by semicolons (so none appears in a comment), each timed on its own. The last
-- returns the figures.

-- 1. The current version of each journey: newest reporting period, then newest upload.
CREATE OR REPLACE TEMP TABLE floor_current AS
WITH versions AS (
    SELECT upload_id, row_number() OVER (ORDER BY period_end, upload_id) AS version
    FROM uploads
    WHERE kind = 'journeys' AND withdrawn_at IS NULL
),
latest AS (
    SELECT arg_max(j.rowid, v.version) AS row_id
    FROM journeys j
    JOIN versions v USING (upload_id)
    GROUP BY j.dat, j.agncy, j.episodid
)
SELECT dat, client_key, agncy, episodid, subgrp, triaged, disd, disrsn
FROM journeys j
SEMI JOIN latest ON latest.row_id = j.rowid;

-- 2. Every quarter of each partnership's reporting periods: E the quarter's last day, S the day after
--    E's date 12 calendar months earlier.
CREATE OR REPLACE TEMP TABLE floor_quarters AS
WITH ranges AS (
    SELECT dat, min(period_end) AS first_end, max(period_end) AS last_end
    FROM (
        SELECT unnest(partnerships) AS dat, period_end
        FROM uploads
        WHERE withdrawn_at IS NULL AND period_end IS NOT NULL
    )
    GROUP BY dat
),
ends AS (
    SELECT DISTINCT dat, last_day(unnest(generate_series(first_end, last_end, INTERVAL 3 MONTH)))::DATE AS e
    FROM ranges
)
SELECT
    dat,
    e,
    (e + INTERVAL 1 DAY - INTERVAL 12 MONTH)::DATE AS s,
    (year(e) - (month(e) <= 3)::INTEGER)::VARCHAR || '-'
        || lpad(((year(e) - (month(e) <= 3)::INTEGER + 1) % 100)::VARCHAR, 2, '0')
        || ' Q' || ((month(e) + 8) % 12 // 3 + 1)::VARCHAR AS period
FROM ends;

-- 3. Clients numbered within their partnership, with how many journeys they have.
CREATE OR REPLACE TEMP TABLE floor_clients AS
SELECT dat, client_key, row_number() OVER () AS cid, count(*) AS journeys
FROM floor_current
GROUP BY dat, client_key;

-- 4. Narrow journeys with the two code lists applied.
CREATE OR REPLACE TEMP TABLE floor_journeys AS
SELECT
    c.cid,
    c.journeys > 1 AS several,
    j.dat,
    j.triaged,
    j.disd,
    j.disrsn IN (SELECT code FROM code_lists WHERE list = 'discharge_reason' AND category = 'successful')
        AS successful,
    j.subgrp IN (SELECT code FROM code_lists WHERE list = 'substance_group' AND category = 'opiate') AS opiate,
    try_cast(j.episodid AS HUGEINT) AS episode_number,
    j.episodid,
    j.agncy
FROM floor_current j
JOIN floor_clients c USING (dat, client_key);

-- 5. Clients with a single journey: that journey is the client, counted per quarter without grouping.
CREATE OR REPLACE TEMP TABLE floor_single AS
SELECT
    q.dat,
    q.period,
    count(*) FILTER (WHERE least(coalesce(j.disd, q.e), q.e) - j.triaged >= 84
        OR (j.successful AND j.disd <= q.e AND j.disd - j.triaged < 84)) AS effective,
    count(*) FILTER (WHERE j.opiate) AS opiate,
    count(*) FILTER (WHERE j.opiate AND j.successful AND j.disd BETWEEN q.s AND q.e) AS opiate_completed
FROM floor_journeys j
JOIN floor_quarters q ON q.dat = j.dat AND j.triaged <= q.e AND (j.disd IS NULL OR j.disd >= q.s)
WHERE NOT j.several
GROUP BY ALL;

-- 6. Clients with several journeys: each journey ordered as the attribute rule orders them, and whether
--    the client started another journey in (DISD, DISD + 182 days].
CREATE OR REPLACE TEMP TABLE floor_several AS
WITH numbered AS (
    SELECT *, row_number() OVER (ORDER BY cid, triaged, episode_number NULLS FIRST, episodid, agncy) AS jid
    FROM floor_journeys
    WHERE several
),
represented AS (
    SELECT DISTINCT d.jid
    FROM (SELECT jid, cid, disd FROM numbered WHERE successful AND disd IS NOT NULL) d
    JOIN (SELECT cid, triaged FROM numbered) later
      ON later.cid = d.cid AND later.triaged > d.disd AND later.triaged <= d.disd + 182
)
SELECT n.*, n.jid IN (SELECT jid FROM represented) AS represented
FROM numbered n;

-- 7. The figures.
WITH several_clients AS (
    SELECT
        q.dat,
        q.period,
        bool_or(least(coalesce(j.disd, q.e), q.e) - j.triaged >= 84
            OR (j.successful AND j.disd <= q.e AND j.disd - j.triaged < 84)) AS effective,
        arg_max(j.opiate, j.jid) AS opiate,
        bool_or(j.successful AND j.disd BETWEEN q.s AND q.e AND NOT j.represented) AS completed
    FROM floor_several j
    JOIN floor_quarters q ON q.dat = j.dat AND j.triaged <= q.e AND (j.disd IS NULL OR j.disd >= q.s)
    GROUP BY q.dat, q.period, j.cid
),
counts AS (
    SELECT dat, period, effective, opiate, opiate_completed FROM floor_single
    UNION ALL
    SELECT
        dat,
        period,
        count(*) FILTER (WHERE effective),
        count(*) FILTER (WHERE opiate),
        count(*) FILTER (WHERE opiate AND completed)
    FROM several_clients
    GROUP BY ALL
),
totals AS (
    SELECT
        q.dat,
        q.period,
        coalesce(sum(c.effective), 0) AS effective,
        coalesce(sum(c.opiate), 0) AS opiate,
        coalesce(sum(c.opiate_completed), 0) AS opiate_completed
    FROM floor_quarters q
    LEFT JOIN counts c USING (dat, period)
    GROUP BY ALL
)
SELECT 'effective_treatment' AS kpi, dat AS area, period, effective::DOUBLE AS numerator, NULL::DOUBLE AS denominator
FROM totals
UNION ALL
SELECT 'completions_opiate', dat, period, opiate_completed::DOUBLE, opiate::DOUBLE
FROM totals
ORDER BY kpi, area, period
