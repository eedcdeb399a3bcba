-- The register holds cases of every procedure, not only advance informed agreements.
-- Common columns stay columns (lists filter on them); what only one procedure knows lives in
-- the case's ``state`` (its last view, whose ``details`` are the procedure part). Every
-- existing row is kept: its title is derived from what it already says.
ALTER TABLE cases ALTER COLUMN notifier_reference DROP NOT NULL;
ALTER TABLE cases ADD COLUMN title text;
UPDATE cases SET title = coalesce(lmo_name, case_id) || coalesce(' (' || notifier_reference || ')', '');
ALTER TABLE cases ALTER COLUMN title SET NOT NULL;
ALTER TABLE cases ADD COLUMN confidential_items jsonb NOT NULL DEFAULT '[]'::jsonb;
UPDATE cases SET confidential_items = coalesce(state -> 'confidential_items', '[]'::jsonb);
-- Art 12(1): the notifiers of an LMO are found by its unique identifier.
CREATE INDEX cases_lmo_id_idx ON cases (lmo_id);
CREATE INDEX cases_procedure_idx ON cases (procedure);
-- A notifier's language, so that letters of other procedures (Art 12(1)) reach it in it.
ALTER TABLE cases ADD COLUMN notifier_language text;
