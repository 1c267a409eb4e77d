-- Covering indexes for the clearance engine's reads of observations and sign-offs: deciding for a whole organisation reads every record of every enrollment, and from these indexes alone it reads about a third of the bytes, already in recorded order.

-- Deciding reads a few columns (app/evidence decisionColumns) of every
-- observation and sign-off of a batch of enrollments. From the tables
-- themselves that is every page of the widest tables (steps, names,
-- signatures); these indexes hold only what a decision needs, keyed in the
-- order records are filed (enrollment, then time recorded, then id).
-- PostgreSQL keeps the extra columns out of the key with INCLUDE.
-- only postgres
CREATE INDEX observations_decision_idx ON observations (enrollment_id, recorded_at, id)
    INCLUDE (apprentice_id, competency, variant, performed_on, successful, supersedes);
CREATE INDEX sign_offs_decision_idx ON sign_offs (enrollment_id, signed_at, id)
    INCLUDE (apprentice_id, competency, kind, signed_on, covered);
-- only sqlite
CREATE INDEX observations_decision_idx ON observations (enrollment_id, recorded_at, id,
    apprentice_id, competency, variant, performed_on, successful, supersedes);
CREATE INDEX sign_offs_decision_idx ON sign_offs (enrollment_id, signed_at, id,
    apprentice_id, competency, kind, signed_on, covered);
-- both
