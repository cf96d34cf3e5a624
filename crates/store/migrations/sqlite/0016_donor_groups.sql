-- 乡贤理事会 and enterprise alliances (issue 3, part 2): a group is a donor of its own kind
-- that gives as one, with its members (people or enterprises) listed here.
CREATE TABLE donor_group_members (
    id INTEGER PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES donors (id),
    member_id BIGINT NOT NULL REFERENCES donors (id),
    joined_at_ms BIGINT NOT NULL,
    UNIQUE (group_id, member_id)
);
CREATE INDEX donor_group_members_member ON donor_group_members (member_id);
