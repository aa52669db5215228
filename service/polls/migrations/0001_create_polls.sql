-- Polls, their options and one row per vote. Counts are computed at read time: a reference workload
-- favours obviously-correct SQL over a denormalized counter.
CREATE TABLE polls (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question    text        NOT NULL CHECK (char_length(question) BETWEEN 1 AND 500),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE poll_options (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id   bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position  integer NOT NULL CHECK (position >= 0),
    text      text    NOT NULL CHECK (char_length(text) BETWEEN 1 AND 200),
    UNIQUE (poll_id, position),
    UNIQUE (poll_id, text),
    -- Target of the votes foreign key below: a vote's option must belong to the vote's poll.
    UNIQUE (poll_id, id)
);

CREATE TABLE votes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id     bigint NOT NULL,
    option_id   bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (poll_id, option_id) REFERENCES poll_options (poll_id, id) ON DELETE CASCADE
);

CREATE INDEX votes_poll_option_idx ON votes (poll_id, option_id);
