-- The dashboard's database: the four extracts with every version of every row, the code
-- lists, the upload audit and the materialised results. Applied to a new, empty database;
-- later changes are numbered files in migrations/ (see loaders/store.py).

CREATE TABLE schema_version (
    version     INTEGER NOT NULL,
    applied_at  TIMESTAMP NOT NULL
);

-- One row per upload, kept for ever: a withdrawn upload keeps its audit row.
CREATE SEQUENCE upload_id_seq START 1;
CREATE TABLE uploads (
    upload_id         INTEGER PRIMARY KEY,
    uploaded_at       TIMESTAMP NOT NULL,
    uploaded_by       VARCHAR,
    file_name         VARCHAR NOT NULL,
    sha256            VARCHAR NOT NULL,
    kind              VARCHAR NOT NULL,
    row_count         INTEGER NOT NULL,
    partnerships      VARCHAR[] NOT NULL,
    periods           VARCHAR[] NOT NULL,
    reporting_period  VARCHAR,            -- the file's quarter, e.g. '2024-25 Q3' (not for indicators)
    period_end        DATE,               -- that quarter's last day: the precedence of versions
    period_stated     BOOLEAN NOT NULL,   -- stated by the user rather than taken from the dates
    encoding          VARCHAR NOT NULL,
    is_demo           BOOLEAN NOT NULL DEFAULT false,
    withdrawn_at      TIMESTAMP,
    withdrawn_by      VARCHAR
);

-- Code lists (ethnicity, sex, ...), seeded from data/codes/*.csv.
CREATE TABLE code_lists (
    list      VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    label     VARCHAR NOT NULL,
    category  VARCHAR NOT NULL,
    PRIMARY KEY (list, code)
);

-- Every version of every journey; the upload it came with decides which is current.
CREATE TABLE journeys (
    upload_id   INTEGER NOT NULL,
    period_end  DATE NOT NULL,
    source_row  INTEGER NOT NULL,
    dat         VARCHAR NOT NULL,
    agncy       VARCHAR NOT NULL,
    team        VARCHAR,
    client_key  VARCHAR NOT NULL,   -- keyed hash of CLIENTID: the raw identifier is never stored
    episodid    VARCHAR NOT NULL,
    age         SMALLINT NOT NULL,
    sex         VARCHAR NOT NULL,
    ethnic      VARCHAR NOT NULL,
    subgrp      VARCHAR NOT NULL,
    drug1       VARCHAR,
    rfls        VARCHAR NOT NULL,
    refld       DATE,
    triaged     DATE NOT NULL,
    disd        DATE,
    disrsn      VARCHAR,
    prntstat    VARCHAR,
    injstat     VARCHAR
);

CREATE TABLE tops (
    upload_id   INTEGER NOT NULL,
    period_end  DATE NOT NULL,
    source_row  INTEGER NOT NULL,
    dat         VARCHAR NOT NULL,
    agncy       VARCHAR NOT NULL,
    client_key  VARCHAR NOT NULL,
    episodid    VARCHAR NOT NULL,
    topid       VARCHAR NOT NULL,
    topdate     DATE NOT NULL,
    trstage     VARCHAR NOT NULL,
    opiuse      SMALLINT,
    crause      SMALLINT,
    alcuse      SMALLINT,
    inject      SMALLINT,
    phstat      SMALLINT,
    psyhstat    SMALLINT,
    quallife    SMALLINT,
    housing     VARCHAR
);

CREATE TABLE dip (
    upload_id        INTEGER NOT NULL,
    period_end       DATE NOT NULL,
    source_row       INTEGER NOT NULL,
    dat              VARCHAR NOT NULL,
    suite            VARCHAR NOT NULL,
    month            DATE NOT NULL,       -- first day of the month
    trigger_arrests  INTEGER NOT NULL,
    tests            INTEGER NOT NULL,
    pos_opi          INTEGER NOT NULL,
    pos_coc          INTEGER NOT NULL,
    pos_both         INTEGER NOT NULL,
    ra_required      INTEGER NOT NULL,
    ra_attended      INTEGER NOT NULL,
    fua_required     INTEGER,
    fua_attended     INTEGER,
    referred         INTEGER NOT NULL,
    entered          INTEGER NOT NULL
);

CREATE TABLE indicators (
    upload_id       INTEGER NOT NULL,
    source_row      INTEGER NOT NULL,
    area_code       VARCHAR NOT NULL,
    area_name       VARCHAR,
    indicator       VARCHAR NOT NULL,
    indicator_name  VARCHAR,
    period          VARCHAR NOT NULL,   -- as written: '2024-25 Q3', '2024-25', '2024-11', '12m to 2024-12-31'
    period_kind     VARCHAR NOT NULL,   -- quarter | year | month | rolling
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    numerator       DOUBLE,
    denominator     DOUBLE,
    value           DOUBLE,             -- as given, or numerator / denominator
    unit            VARCHAR,
    lower_ci        DOUBLE,
    upper_ci        DOUBLE
);

-- The current version of each row: the latest reporting period wins, then the latest upload,
-- so back-filling an old quarter never overwrites newer facts.
CREATE VIEW current_journeys AS
SELECT * EXCLUDE (period_end, source_row) FROM journeys
QUALIFY row_number() OVER (PARTITION BY dat, agncy, episodid ORDER BY period_end DESC, upload_id DESC) = 1;

CREATE VIEW current_tops AS
SELECT * EXCLUDE (period_end, source_row) FROM tops
QUALIFY row_number() OVER (PARTITION BY dat, agncy, topid ORDER BY period_end DESC, upload_id DESC) = 1;

CREATE VIEW current_dip AS
SELECT * EXCLUDE (period_end, source_row) FROM dip
QUALIFY row_number() OVER (PARTITION BY dat, suite, month ORDER BY period_end DESC, upload_id DESC) = 1;

CREATE VIEW current_indicators AS
SELECT * EXCLUDE (source_row) FROM indicators
QUALIFY row_number() OVER (PARTITION BY area_code, indicator, period ORDER BY upload_id DESC) = 1;

-- Materialised results: every measure, breakdown group and quarter for each partnership,
-- recomputed after each load or withdrawal so that the dashboard only reads.
CREATE TABLE results (
    kpi           VARCHAR NOT NULL,
    area          VARCHAR NOT NULL,
    breakdown     VARCHAR NOT NULL,   -- '' for the whole partnership
    grp           VARCHAR NOT NULL,   -- '' for the whole partnership
    period        VARCHAR NOT NULL,   -- quarter label
    window_start  DATE NOT NULL,
    window_end    DATE NOT NULL,
    numerator     DOUBLE,
    denominator   DOUBLE,
    value         DOUBLE,
    lower95       DOUBLE,
    upper95       DOUBLE,
    lower998      DOUBLE,
    upper998      DOUBLE,
    provisional   BOOLEAN NOT NULL
);
