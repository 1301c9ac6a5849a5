-- What the materialised results were last computed from, so that a refresh after a quarterly file
-- recomputes only the quarters that file can change (metrics/current.py, metrics/results.py).

-- The current version of each row as of the last refresh (the same columns as the extract tables).
CREATE TABLE refreshed_journeys AS SELECT * FROM journeys LIMIT 0;
CREATE TABLE refreshed_tops AS SELECT * FROM tops LIMIT 0;
CREATE TABLE refreshed_dip AS SELECT * FROM dip LIMIT 0;

-- The uploads those rows reflect (a withdrawn one stays here until the next refresh takes it out).
CREATE TABLE refreshed_uploads (
    upload_id  INTEGER NOT NULL
);

-- Each partnership's range of reporting periods when its results were last computed.
CREATE TABLE refreshed_areas (
    area       VARCHAR NOT NULL,
    first_end  DATE NOT NULL,
    last_end   DATE NOT NULL
);

-- A fingerprint of the measure definitions the results were computed with: when the code changes
-- them, the next refresh recomputes everything.
CREATE TABLE refreshed_definitions (
    fingerprint  VARCHAR NOT NULL
);
