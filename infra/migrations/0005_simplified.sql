-- The register of the Party's advance specifications under the simplified procedure (CP Art 13):
-- one row per specification, written by its workflow (activities/simplified.py) after each
-- change, idempotently: a row carries the specification's change count, and an older or equal
-- one never overwrites it. The AIA intake and GET /v1/simplified/specifications read it
-- (api/simplified.py); everything in it is public (it is on the BCH).
CREATE TABLE simplified_specifications (
    case_id       text PRIMARY KEY,
    reference     text        NOT NULL,
    kind          text        NOT NULL
                  CHECK (kind IN ('movement_at_notification', 'exempt_from_aia')),
    in_force      boolean     NOT NULL,
    lmo_ids       text[]      NOT NULL,
    effective_on  date        NOT NULL,
    expires_on    date,
    specification jsonb       NOT NULL,   -- workflows/simplified/models.py Specification
    change        integer     NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simplified_specifications_lmo_idx
    ON simplified_specifications USING gin (lmo_ids) WHERE in_force;
