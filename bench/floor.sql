-- The floor of a refresh (issue 15): the least work any correct refresh of the results must do.
--
-- Whatever computes the measures must read every column they use from every current journey, TOP and
-- DIP row, and group those rows by partnership and quarter at least once. This one statement does
-- exactly that and nothing more: it reads the current rows the refresh reads (the copies
-- refreshed_journeys, refreshed_tops and refreshed_dip, metrics/current.py), every column that
-- metrics/sql/*.sql uses (tests/bench/test_floor.py checks the list against those files), and groups
-- each kind once by partnership and the financial quarter of the row's own date, with an aggregate of
-- every column so that none can be skipped. It computes no measure: no windows, no clients counted
-- once, no breakdowns. refresh_all's time over this one is the `refresh_all_ratio` of bench/results.md.

SELECT 'journeys' AS kind, dat, (year(triaged) * 12 + month(triaged) - 4) // 3 AS qi, count(*) AS rows_read,
       max(agncy) AS agncy, max(team) AS team, max(client_key) AS client_key, max(episodid) AS episodid,
       max(age) AS age, max(sex) AS sex, max(ethnic) AS ethnic, max(subgrp) AS subgrp, max(drug1) AS drug1,
       max(rfls) AS rfls, max(refld) AS refld, max(triaged) AS triaged, max(disd) AS disd,
       max(disrsn) AS disrsn, max(prntstat) AS prntstat, max(injstat) AS injstat
FROM refreshed_journeys
GROUP BY ALL
UNION ALL BY NAME
SELECT 'tops' AS kind, dat, (year(topdate) * 12 + month(topdate) - 4) // 3 AS qi, count(*) AS rows_read,
       max(agncy) AS agncy, max(episodid) AS episodid, max(topid) AS topid, max(topdate) AS topdate,
       max(trstage) AS trstage
FROM refreshed_tops
GROUP BY ALL
UNION ALL BY NAME
SELECT 'dip' AS kind, dat, (year(month) * 12 + month(month) - 4) // 3 AS qi, count(*) AS rows_read,
       max(suite) AS suite, max(month) AS month, sum(trigger_arrests) AS trigger_arrests, sum(tests) AS tests,
       sum(pos_opi) AS pos_opi, sum(pos_coc) AS pos_coc, sum(pos_both) AS pos_both,
       sum(ra_required) AS ra_required, sum(ra_attended) AS ra_attended, sum(referred) AS referred,
       sum(entered) AS entered
FROM refreshed_dip
GROUP BY ALL
