-- CP Art 23(2): the public's comments on a case under public consultation. The API writes them
-- (the public need no token); when the consultation runs is the case's own (its workflow), which
-- the register's state carries. A retried submission with the same Idempotency-Key is one comment.
CREATE TABLE consultation_comments (
    id              bigserial   PRIMARY KEY,
    case_id         text        NOT NULL,
    author_name     text        NOT NULL,
    author_email    text,
    organisation    text,
    comment         text        NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    received_on     date        NOT NULL,
    idempotency_key text,
    UNIQUE (case_id, idempotency_key)
);
CREATE INDEX consultation_comments_case_idx ON consultation_comments (case_id, id);
