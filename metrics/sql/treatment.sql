-- Treatment measures (kpis.md, "Treatment measures"), for every partnership being refreshed, every
-- quarter and every breakdown at once.
--
-- Reads the temp tables metrics/results.py builds before running this file:
--   refresh_quarters (dat, period, qi, qs, s, e, s84, e84, s14, e14, review_end, data_end, ...):
--       one row per partnership and quarter; qi numbers the quarters consecutively; [s, e] is the window
--       W, [s84, e84] the 12 months ending 84 days before E, [s14, e14] the 12 months ending 14 days
--       before E, review_end = E - 28
--   refresh_current_journeys: the current version of each journey of those partnerships
-- Builds temp tables that tops.sql and equality.sql read too (so this file runs first):
--   refresh_journeys          one row per journey, with the code lists applied
--   refresh_profiles          the combinations of client attributes (SUBGRP, SEX, ETHNIC, RFLS, age band)
--                             found in the journeys, numbered
--   refresh_teams             the partnerships, providers and teams found in the journeys, numbered
--   refresh_journey_windows   one row per journey and quarter where the journey is in treatment during W
--                             or in the 12-week retention cohort, with the facts each measure tests
--                             (dropped, with refresh_current_journeys, once everything is counted)
--   refresh_display_groups    how codes are shown in breakdowns ('1' -> 'Male', 'A' -> 'White', ...)
--   refresh_journey_counts, refresh_client_counts
--                             the counts behind every journey-level and client-level measure (treatment
--                             and equality) per quarter and breakdown group
-- Its last statement returns long rows: kpi, dat, period, breakdown, grp, window_start, window_end,
-- numerator, denominator (metrics/results.py fills in the rest).
--
-- Choices where kpis.md leaves room, following NDTMS:
--   * A client's attributes (substance group, sex, age band, ethnicity, referral source) are those of
--     their journey in W with the latest TRIAGED; ties go to the greatest EPISODID (compared as a number
--     when it is one, else as text), then the greatest AGNCY, so the choice never depends on row order.
--   * Age bands use AGE, the age at triage of that journey (the extract holds no date of birth).
--   * In a provider (team) breakdown each measure is computed on the client's journeys with that provider
--     (team) only: the client counts once in each provider where they had a journey in W, with attributes
--     from their latest journey there. Re-presentation is still looked for across the whole partnership.
--   * Successful completions, as kpis.md words it: a client counts when they have *a* journey discharged
--     successfully in W after which no journey of theirs in the partnership has TRIAGED in
--     (DISD, DISD + 182 days]; with several successful discharges in W, any one that was not followed by a
--     re-presentation is enough. A new journey triaged on the discharge day itself is not a
--     re-presentation (the interval is open at DISD, as written in kpis.md).
--   * Discharge classes come from code list 'discharge_reason'. A reason whose class is neither
--     successful nor unplanned nor transfer (a local code) counts in no exit measure's numerator or
--     denominator, as transfers do not; an effective or retained journey needs a *successful* ending.
--
-- Speed: national data (150 partnerships, 40 quarters, 3.5 million journeys) make about 25 million
-- journey-quarter rows, so those rows are kept narrow (short codes, numbers and flags) and every breakdown
-- is counted from them in one pass of GROUPING SETS. Counting clients once needs a GROUP BY client and
-- quarter, the costliest step, so it is done only for clients with more than one journey in the unit: a
-- client with a single journey there *is* that journey.

CREATE OR REPLACE TEMP TABLE refresh_journeys AS
WITH clients AS (
    SELECT dat, client_key, row_number() OVER () AS cid
    FROM (SELECT DISTINCT dat, client_key FROM refresh_current_journeys)
),
ranks AS (
    -- Computed on narrow rows (the windows sort what they carry), joined back by rowid below.
    SELECT
        j.rowid AS rid,
        c.cid,
        -- jid orders each client's journeys as the attribute rule does: the greatest jid is the latest.
        -- (Numbered within each client, so that DuckDB sorts the clients in parallel.)
        c.cid * 100000 + row_number() OVER (
            PARTITION BY c.cid ORDER BY j.triaged, try_cast(j.episodid AS HUGEINT) NULLS FIRST, j.episodid, j.agncy
        ) AS jid,
        -- Does the client have another journey in the partnership, with the provider, in the team?
        count(*) OVER (PARTITION BY c.cid) > 1 AS several_journeys,
        count(*) OVER (PARTITION BY c.cid, j.agncy) > 1 AS several_at_provider,
        count(*) OVER (PARTITION BY c.cid, j.agncy, coalesce(j.team, '')) > 1 AS several_in_team
    FROM refresh_current_journeys j
    JOIN clients c USING (dat, client_key)
),
numbered AS (
    SELECT
        j.* EXCLUDE (team, client_key, upload_id, refld, drug1, age),
        coalesce(j.team, '') AS team,
        j.refld IS NOT NULL AND j.drug1 IS NOT NULL AS referral_and_drug_recorded,
        CASE
            WHEN j.age < 25 THEN '18-24'
            WHEN j.age < 35 THEN '25-34'
            WHEN j.age < 45 THEN '35-44'
            WHEN j.age < 55 THEN '45-54'
            WHEN j.age < 65 THEN '55-64'
            ELSE '65+'
        END AS age_band,
        r.* EXCLUDE (rid)
    FROM refresh_current_journeys j
    JOIN ranks r ON r.rid = j.rowid
),
represented AS (
    -- Journeys after which the client started a new journey in the partnership within 182 days: TRIAGED
    -- in (DISD, DISD + 182 days].
    SELECT DISTINCT n.jid
    FROM (SELECT jid, cid, disd FROM numbered WHERE disd IS NOT NULL) n
    JOIN (SELECT cid, triaged FROM numbered) later
      ON later.cid = n.cid AND later.triaged > n.disd AND later.triaged <= n.disd + 182
),
numbered_codes AS (
    -- Each code's place in its list, and the list's size: the profile below is made of them.
    SELECT *, row_number() OVER (PARTITION BY list ORDER BY code) AS n, count(*) OVER (PARTITION BY list) AS size
    FROM code_lists
    WHERE list IN ('substance_group', 'sex', 'ethnicity', 'referral_source')
),
teams AS (
    SELECT
        row_number() OVER (ORDER BY dat, agncy, team) AS team_id,
        dense_rank() OVER (ORDER BY dat, agncy) AS provider_id,
        dense_rank() OVER (ORDER BY dat) AS dat_id,
        dat, agncy, team
    FROM (SELECT DISTINCT dat, agncy, team FROM numbered)
)
SELECT
    j.jid,
    j.cid,
    j.dat,
    j.agncy,
    j.team,
    t.dat_id::INTEGER AS dat_id,
    t.provider_id::INTEGER AS provider_id,
    t.team_id::INTEGER AS team_id,
    j.episodid,
    j.triaged,
    j.disd,
    coalesce(discharge.category, 'unknown') AS discharge_class,
    j.subgrp,
    j.sex,
    j.ethnic,
    j.rfls,
    j.age_band,
    -- The combination of the five attributes as one exact number (each code's place in its list, the age
    -- band's in the bands): no join on five texts is needed to number them. It fits an INTEGER unless the
    -- four lists together hold some thousand times more codes than today (the cast would then fail, loudly).
    ((((substance.n * (sex.size + 1) + sex.n) * (ethnicity.size + 1) + ethnicity.n) * (referral.size + 1)
        + referral.n) * 8 + CASE j.age_band WHEN '18-24' THEN 1 WHEN '25-34' THEN 2 WHEN '35-44' THEN 3
        WHEN '45-54' THEN 4 WHEN '55-64' THEN 5 ELSE 6 END)::INTEGER AS profile,
    substance.category AS substance_class,
    ethnicity.category <> 'Not stated' AS ethnicity_stated,
    ethnicity.category NOT IN ('White', 'Not stated') AS black_minority_ethnic,
    ethnicity.category <> 'Not stated' AND j.ethnic <> 'A' AS ethnic_minority,   -- every code but A
    referral.category = 'criminal justice' AS criminal_justice_referral,
    parental.category IS NOT DISTINCT FROM 'recorded' AS parental_status_recorded,
    sex.category <> 'Not stated'
        AND ethnicity.category <> 'Not stated'
        AND parental.category IS NOT DISTINCT FROM 'recorded'
        AND j.referral_and_drug_recorded
        AND injecting.code IS NOT NULL AS fully_recorded,   -- INJSTAT Z (declined) is an answer
    j.jid IN (SELECT jid FROM represented) AS represented,
    j.several_journeys,
    j.several_at_provider,
    j.several_in_team
FROM numbered j
JOIN teams t USING (dat, agncy, team)
JOIN numbered_codes substance ON substance.list = 'substance_group' AND substance.code = j.subgrp
JOIN numbered_codes sex ON sex.list = 'sex' AND sex.code = j.sex
JOIN numbered_codes ethnicity ON ethnicity.list = 'ethnicity' AND ethnicity.code = j.ethnic
JOIN numbered_codes referral ON referral.list = 'referral_source' AND referral.code = j.rfls
LEFT JOIN code_lists discharge ON discharge.list = 'discharge_reason' AND discharge.code = j.disrsn
LEFT JOIN code_lists parental ON parental.list = 'parental_status' AND parental.code = j.prntstat
LEFT JOIN code_lists injecting ON injecting.list = 'injecting_status' AND injecting.code = j.injstat;


CREATE OR REPLACE TEMP TABLE refresh_profiles AS
SELECT DISTINCT
    profile, subgrp, sex, ethnic, rfls, age_band, substance_class, ethnicity_stated, black_minority_ethnic,
    ethnic_minority
FROM refresh_journeys;


CREATE OR REPLACE TEMP TABLE refresh_teams AS
SELECT DISTINCT team_id, provider_id, dat_id, dat, agncy, team FROM refresh_journeys;


-- The financial quarter holding a day, numbered as refresh_quarters.qi (2024-25 Q1 is 8096).
CREATE OR REPLACE TEMP MACRO refresh_quarter_index(d) AS (year(d) * 12 + month(d) - 4) // 3;


CREATE OR REPLACE TEMP TABLE refresh_journey_windows AS
SELECT
    qi::INTEGER AS qi,
    j.jid,
    j.cid,
    j.dat_id,
    j.provider_id,
    j.team_id,
    j.profile,
    j.several_journeys,
    j.several_at_provider,
    j.several_in_team,
    j.disd,
    j.represented,
    j.parental_status_recorded,
    j.fully_recorded,
    -- In treatment during W: triaged by E and not discharged before S.
    j.triaged <= q.e AND (j.disd IS NULL OR j.disd >= q.s) AS in_window,
    j.triaged BETWEEN q.s AND q.e AS started_in_window,
    j.triaged BETWEEN q.s AND q.e AND j.criminal_justice_referral AS criminal_justice_start,
    j.disd BETWEEN q.s AND q.e AND j.discharge_class IN ('successful', 'unplanned') AS exit_in_window,
    j.disd BETWEEN q.s AND q.e AND j.discharge_class = 'successful' AS successful_in_window,
    -- Effective: min(DISD, E) - TRIAGED >= 84 days (open journeys use E), or a successful discharge on
    -- or before E after less than 84 days.
    least(coalesce(j.disd, q.e), q.e) - j.triaged >= 84
        OR (j.discharge_class = 'successful' AND j.disd <= q.e AND j.disd - j.triaged < 84) AS effective,
    -- Open at E: triaged by E and not discharged by E.
    j.triaged <= q.e AND (j.disd IS NULL OR j.disd > q.e) AS open_at_end,
    j.triaged <= q.e AND (j.disd IS NULL OR j.disd > q.e) AND j.triaged <= q.e - 1461 AS open_four_years,
    -- Re-presentations are only judged once the 182 days after discharge are inside the data.
    j.disd BETWEEN q.s AND q.e AND j.discharge_class = 'successful'
        AND j.disd + 182 <= q.data_end AS representation_due,
    -- The 12-week retention cohort: TRIAGED in the 12 months ending 84 days before E. Retained when
    -- still open, when it lasted 84 days or more, or when it ended successfully sooner.
    j.triaged BETWEEN q.s84 AND q.e84 AS in_retention_cohort,
    j.disd IS NULL OR j.disd - j.triaged >= 84 OR j.discharge_class = 'successful' AS retained
FROM (
    -- Candidate quarters: from the quarter of TRIAGED to 3 quarters after that of DISD (W is 4 whole
    -- quarters), or to the last quarter while open, and to 4 quarters after that of TRIAGED + 84 days for
    -- the retention cohort; the exact tests follow.
    SELECT
        j.jid, j.cid, j.dat_id, j.provider_id, j.team_id, j.profile, j.several_journeys, j.several_at_provider,
        j.several_in_team, j.triaged, j.disd, j.discharge_class, j.represented, j.parental_status_recorded,
        j.fully_recorded, j.criminal_justice_referral,
        unnest(range(
            greatest(refresh_quarter_index(j.triaged), b.first_qi),
            least(
                greatest(coalesce(refresh_quarter_index(j.disd) + 3, b.last_qi),
                         refresh_quarter_index(j.triaged + 84) + 4),
                b.last_qi
            ) + 1
        )) AS qi
    FROM refresh_journeys j
    JOIN (
        SELECT d.dat_id, min(q.qi) AS first_qi, max(q.qi) AS last_qi
        FROM refresh_quarters q
        JOIN (SELECT DISTINCT dat_id, dat FROM refresh_teams) d USING (dat)
        GROUP BY d.dat_id
    ) b USING (dat_id)
) j
-- The quarters by the partnership's number (an integer join for millions of rows, not a text one).
JOIN (
    SELECT d.dat_id, q.qi, q.s, q.e, q.s84, q.e84, q.data_end
    FROM refresh_quarters q
    JOIN (SELECT DISTINCT dat_id, dat FROM refresh_teams) d USING (dat)
) q USING (dat_id, qi)
WHERE (j.triaged <= q.e AND (j.disd IS NULL OR j.disd >= q.s)) OR j.triaged BETWEEN q.s84 AND q.e84;


-- How groups are shown: substance groups by label, sex and ethnicity by category, referral sources as
-- criminal justice or not, providers by AGNCY and teams as AGNCY/TEAM; age bands as they are.
CREATE OR REPLACE TEMP TABLE refresh_display_groups AS
SELECT 'substance' AS breakdown, code, label AS grp FROM code_lists WHERE list = 'substance_group'
UNION ALL
SELECT 'sex', code, category FROM code_lists WHERE list = 'sex'
UNION ALL
SELECT 'ethnic_group', code, category FROM code_lists WHERE list = 'ethnicity'
UNION ALL
SELECT 'referral', code, CASE WHEN category = 'criminal justice' THEN 'Criminal justice' ELSE 'Other' END
FROM code_lists WHERE list = 'referral_source'
UNION ALL
SELECT DISTINCT 'provider', provider_id::VARCHAR, agncy FROM refresh_teams
UNION ALL
SELECT 'team', team_id::VARCHAR, agncy || '/' || coalesce(nullif(team, ''), '(no team)') FROM refresh_teams;


-- Journeys per quarter and group, by each journey's own provider, team and attributes.
CREATE OR REPLACE TEMP TABLE refresh_journey_counts AS
WITH by_code AS (
    SELECT
        dat_id,
        qi,
        CASE
            WHEN grouping(team_id) = 0 THEN 'team'
            WHEN grouping(provider_id) = 0 THEN 'provider'
            WHEN grouping(subgrp) = 0 THEN 'substance'
            WHEN grouping(sex) = 0 THEN 'sex'
            WHEN grouping(age_band) = 0 THEN 'age_band'
            WHEN grouping(ethnic) = 0 THEN 'ethnic_group'
            WHEN grouping(rfls) = 0 THEN 'referral'
            ELSE ''
        END AS breakdown,
        coalesce(team_id::VARCHAR, provider_id::VARCHAR, subgrp, sex, age_band, ethnic, rfls, '') AS code,
        count(*) FILTER (WHERE in_window) AS in_window,
        count(*) FILTER (WHERE in_window AND fully_recorded) AS fully_recorded,
        count(*) FILTER (WHERE started_in_window) AS started,
        count(*) FILTER (WHERE started_in_window AND parental_status_recorded) AS parental_status_recorded,
        count(*) FILTER (WHERE criminal_justice_start) AS criminal_justice_starts,
        count(*) FILTER (WHERE exit_in_window) AS exits,
        count(*) FILTER (WHERE successful_in_window) AS successful_exits,
        count(*) FILTER (WHERE representation_due) AS representation_due,
        count(*) FILTER (WHERE representation_due AND represented) AS represented,
        count(*) FILTER (WHERE in_retention_cohort) AS retention_cohort,
        count(*) FILTER (WHERE in_retention_cohort AND retained) AS retained
    FROM refresh_journey_windows
    JOIN refresh_profiles USING (profile)
    GROUP BY GROUPING SETS (
        (dat_id, qi), (dat_id, qi, provider_id), (dat_id, qi, team_id), (dat_id, qi, subgrp),
        (dat_id, qi, sex), (dat_id, qi, age_band), (dat_id, qi, ethnic), (dat_id, qi, rfls)
    )
)
SELECT q.dat, q.period, c.breakdown, coalesce(g.grp, c.code) AS grp,
       sum(COLUMNS(c.* EXCLUDE (dat_id, qi, breakdown, code)))
FROM by_code c
JOIN (SELECT DISTINCT dat_id, dat FROM refresh_teams) d USING (dat_id)
JOIN refresh_quarters q USING (dat, qi)
LEFT JOIN refresh_display_groups g USING (breakdown, code)
GROUP BY ALL;


-- Clients per quarter and group: the whole partnership and its client-attribute breakdowns, each provider
-- and each team. A client with several journeys in the unit (the whole partnership, a provider, a team) is
-- counted once: their latest journey in W (greatest jid) gives the attributes, any effective journey makes
-- them effective, and any successful discharge in W not followed by a re-presentation makes them completed. A client with a
-- single journey in the unit is that journey.
CREATE OR REPLACE TEMP TABLE refresh_client_counts AS
WITH unit_journeys AS NOT MATERIALIZED (
    -- Each journey-quarter in W once for the whole partnership (unit '', unit_id: dat_id), its provider
    -- (provider_id) and its team (team_id), with whether the client has several journeys in that unit.
    SELECT *, '' AS unit, dat_id AS unit_id, several_journeys AS several FROM refresh_journey_windows
    WHERE in_window
    UNION ALL
    SELECT *, 'provider', provider_id, several_at_provider FROM refresh_journey_windows WHERE in_window
    UNION ALL
    SELECT *, 'team', team_id, several_in_team FROM refresh_journey_windows WHERE in_window
),
unit_clients AS (
    -- One row per client, quarter and unit, with the attributes of the journey the client is counted by.
    SELECT
        c.qi, c.unit, c.unit_id, c.dat_id, p.subgrp, p.sex, p.ethnic, p.rfls, p.age_band, p.substance_class,
        p.ethnicity_stated, p.black_minority_ethnic, p.ethnic_minority, c.effective, c.completed, c.open_at_end,
        c.open_four_years
    FROM (
        SELECT
            qi,
            unit,
            unit_id,
            any_value(dat_id) AS dat_id,
            arg_max(profile, jid) AS profile,
            bool_or(effective) AS effective,
            bool_or(successful_in_window AND NOT represented) AS completed,
            bool_or(open_at_end) AS open_at_end,
            bool_or(open_four_years) AS open_four_years
        FROM unit_journeys
        WHERE several
        GROUP BY qi, unit, unit_id, cid
        UNION ALL
        SELECT qi, unit, unit_id, dat_id, profile, effective, successful_in_window AND NOT represented, open_at_end,
               open_four_years
        FROM unit_journeys
        WHERE NOT several
    ) c
    JOIN refresh_profiles p USING (profile)
),
by_code AS (
    -- The whole partnership and its attribute breakdowns.
    SELECT
        dat_id,
        qi,
        CASE
            WHEN grouping(subgrp) = 0 THEN 'substance'
            WHEN grouping(sex) = 0 THEN 'sex'
            WHEN grouping(age_band) = 0 THEN 'age_band'
            WHEN grouping(ethnic) = 0 THEN 'ethnic_group'
            WHEN grouping(rfls) = 0 THEN 'referral'
            ELSE ''
        END AS breakdown,
        coalesce(subgrp, sex, age_band, ethnic, rfls, '') AS code,
        count(*) AS clients,
        count(*) FILTER (WHERE effective) AS effective,
        count(*) FILTER (WHERE completed) AS completed,
        count(*) FILTER (WHERE substance_class = 'opiate') AS opiate,
        count(*) FILTER (WHERE substance_class = 'opiate' AND completed) AS opiate_completed,
        count(*) FILTER (WHERE substance_class = 'non_opiate') AS non_opiate,
        count(*) FILTER (WHERE substance_class = 'non_opiate' AND completed) AS non_opiate_completed,
        count(*) FILTER (WHERE substance_class = 'alcohol') AS alcohol,
        count(*) FILTER (WHERE substance_class = 'alcohol' AND completed) AS alcohol_completed,
        count(*) FILTER (WHERE open_at_end) AS open_at_end,
        count(*) FILTER (WHERE open_four_years) AS open_four_years,
        count(*) FILTER (WHERE ethnicity_stated) AS ethnicity_stated,
        count(*) FILTER (WHERE black_minority_ethnic) AS black_minority_ethnic,
        count(*) FILTER (WHERE ethnic_minority) AS ethnic_minority
    FROM unit_clients
    WHERE unit = ''
    GROUP BY GROUPING SETS (
        (dat_id, qi), (dat_id, qi, subgrp), (dat_id, qi, sex), (dat_id, qi, age_band), (dat_id, qi, ethnic),
        (dat_id, qi, rfls)
    )
    UNION ALL
    -- Each provider and each team.
    SELECT
        any_value(dat_id),
        qi,
        unit,
        unit_id::VARCHAR,
        count(*),
        count(*) FILTER (WHERE effective),
        count(*) FILTER (WHERE completed),
        count(*) FILTER (WHERE substance_class = 'opiate'),
        count(*) FILTER (WHERE substance_class = 'opiate' AND completed),
        count(*) FILTER (WHERE substance_class = 'non_opiate'),
        count(*) FILTER (WHERE substance_class = 'non_opiate' AND completed),
        count(*) FILTER (WHERE substance_class = 'alcohol'),
        count(*) FILTER (WHERE substance_class = 'alcohol' AND completed),
        count(*) FILTER (WHERE open_at_end),
        count(*) FILTER (WHERE open_four_years),
        count(*) FILTER (WHERE ethnicity_stated),
        count(*) FILTER (WHERE black_minority_ethnic),
        count(*) FILTER (WHERE ethnic_minority)
    FROM unit_clients
    WHERE unit <> ''
    GROUP BY qi, unit, unit_id
)
SELECT q.dat, q.period, c.breakdown, coalesce(g.grp, c.code) AS grp,
       sum(COLUMNS(c.* EXCLUDE (dat_id, qi, breakdown, code)))
FROM by_code c
JOIN (SELECT DISTINCT dat_id, dat FROM refresh_teams) d USING (dat_id)
JOIN refresh_quarters q USING (dat, qi)
LEFT JOIN refresh_display_groups g USING (breakdown, code)
GROUP BY ALL;


-- Everything is counted: free the memory of the largest tables before the other families run.
DROP TABLE refresh_journey_windows;
DROP TABLE refresh_current_journeys;


WITH measures AS (
    SELECT c.dat, c.period, c.breakdown, c.grp, m.*
    FROM refresh_client_counts c,
    (VALUES
        ('in_treatment', c.clients, NULL),
        ('effective_treatment', c.effective, NULL),
        ('effective_treatment_rate', c.effective, c.clients),
        ('completions_opiate', c.opiate_completed, c.opiate),
        ('completions_non_opiate', c.non_opiate_completed, c.non_opiate),
        ('completions_alcohol', c.alcohol_completed, c.alcohol),
        ('completions_all', c.completed, c.clients),
        ('long_term_4yr', c.open_four_years, c.open_at_end)
    ) m(kpi, numerator, denominator)
    UNION ALL
    SELECT j.dat, j.period, j.breakdown, j.grp, m.*
    FROM refresh_journey_counts j,
    (VALUES
        ('successful_exits_share', j.successful_exits, j.exits),
        ('representations', j.represented, j.representation_due),
        ('retention_12wk', j.retained, j.retention_cohort),
        ('cj_referrals', j.criminal_justice_starts, NULL)
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
