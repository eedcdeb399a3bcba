-- A case is read from the register (api/cases.py, settled_case) when its workflow has nothing
-- pending, and must then read as its workflow's Query shows it:
-- * each step's date as the case counted it (workflows/models.py Step.on: the local date of `at`
--   in the authority's time zone the case ran under, which the register cannot know of itself).
--   Entries written before this migration have none, and such a case is read from its workflow;
-- * the versions of a case the register refused (a value out of range, a broken constraint),
--   so that a row left behind by a refusal is never served as the case. A later row of the
--   case that the register accepts removes them.
ALTER TABLE audit_log ADD COLUMN on_date date;

CREATE TABLE register_refusals (
    case_id     text PRIMARY KEY,
    version     integer     NOT NULL,
    refused_at  timestamptz NOT NULL DEFAULT now(),
    error       text        NOT NULL
);
