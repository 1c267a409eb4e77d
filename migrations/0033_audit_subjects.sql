-- Whose record each audit entry is about, filed once the entry is chained (app/auditsubjects): the audit trail's "whose record" reads an index instead of joining every kind of record to the whole trail.

-- One row per entry about a person's record (their account, a credential,
-- an enrollment, a piece of evidence, a token): the person and the
-- entry's id. Written only by app/auditsubjects, from entries already
-- chained, in chain order; never changed. The records named here never
-- change hands (an observation stays its apprentice's), so an entry filed
-- once stays right. Evidence files are not filed: a file may be uploaded
-- before the credential it proves is saved, so "whose" joins them live.
CREATE TABLE audit_subjects (
    person_id TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (person_id, seq)
);

-- How far along the chain entries are filed: every entry with chain_seq up
-- to filed_to is in audit_subjects (if it is about anyone); entries after
-- it, and entries waiting for the sealer, are found by joining. One row.
CREATE TABLE audit_subjects_filed (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    filed_to  BIGINT NOT NULL
);
INSERT INTO audit_subjects_filed (id, filed_to) VALUES (1, 0);
