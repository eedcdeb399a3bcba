-- An Idempotency-Key is bound to the command and the body it was first sent with: the same key
-- with another body is refused (422) instead of silently answering the first result.
CREATE TABLE idempotency_keys (
    case_id     text        NOT NULL,
    key         text        NOT NULL,
    command     text        NOT NULL,
    body_sha256 text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, key)
);
