-- Indicator figures by breakdown (a Fingertips download's sexes, ages and categories; a ViewIt export's
-- sexes, age groups and drug groups), with 99.8% limits and a declared polarity; percentages stored as
-- proportions (0-1) like every proportion of the product. The current figure is the latest upload's for
-- each area, indicator, breakdown group and period.

ALTER TABLE indicators ADD COLUMN IF NOT EXISTS breakdown VARCHAR DEFAULT '';
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS grp VARCHAR DEFAULT '';
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS lower998 DOUBLE;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS upper998 DOUBLE;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS polarity VARCHAR;

UPDATE indicators SET breakdown = '' WHERE breakdown IS NULL;
UPDATE indicators SET grp = '' WHERE grp IS NULL;
UPDATE indicators
SET value = value / 100, lower_ci = lower_ci / 100, upper_ci = upper_ci / 100, unit = 'proportion'
WHERE lower(trim(unit)) IN ('percent', '%', 'percentage');

CREATE OR REPLACE VIEW current_indicators AS
SELECT * EXCLUDE (source_row) FROM indicators
QUALIFY row_number() OVER (PARTITION BY area_code, indicator, breakdown, grp, period ORDER BY upload_id DESC) = 1;
