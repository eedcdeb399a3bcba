-- The case register: a projection of each case's workflow state, written by activities.
-- Writes are idempotent: a row carries the workflow's state version and older versions never
-- overwrite newer ones (see activities/register.py).
CREATE TABLE cases (
    case_id            text PRIMARY KEY,
    workflow_id        text        NOT NULL,
    procedure          text        NOT NULL,
    stage              text        NOT NULL,
    notifier_reference text        NOT NULL,
    notifier_name      text,
    notifier_email     text,
    party_of_export    text,
    party_of_import    text,
    lmo_name           text,
    lmo_id             text,
    received_on        date,
    clock_stopped      boolean     NOT NULL DEFAULT false,
    overdue            boolean     NOT NULL DEFAULT false,
    days_overdue       integer     NOT NULL DEFAULT 0,
    next_deadline_key  text,
    next_deadline_on   date,
    next_deadline_at   timestamptz,
    closed             boolean     NOT NULL DEFAULT false,
    state              jsonb       NOT NULL,
    version            integer     NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_stage_idx ON cases (stage);
CREATE INDEX cases_next_deadline_idx ON cases (next_deadline_on);

-- Append-only audit log: one row per step of a case, numbered by the workflow.
CREATE TABLE audit_log (
    case_id  text        NOT NULL,
    seq      integer     NOT NULL,
    at       timestamptz NOT NULL,
    kind     text        NOT NULL,
    actor    text        NOT NULL,
    summary  text        NOT NULL,
    data     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, seq)
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- Every outgoing message (e-mail, BCH record), keyed by a business idempotency key
-- (workflow id + step), with its delivery evidence.
CREATE TABLE outgoing_messages (
    message_key   text PRIMARY KEY,
    case_id       text        NOT NULL,
    channel       text        NOT NULL CHECK (channel IN ('email', 'bch')),
    recipient     text        NOT NULL,
    subject       text,
    template      text,
    language      text,
    status        text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    message_id    text,
    server_response text,
    attempts      integer     NOT NULL DEFAULT 0,
    last_error    text,
    payload       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);
CREATE INDEX outgoing_messages_case_idx ON outgoing_messages (case_id);
