-- Each plan's roll-up, kept up to date by the writes themselves: the members' tasks (not
-- sub-tasks) counted and summed by plan, area and member, and by what decides who may see
-- them (the matter's publication and body). Reading a plan's roll-up then sums a few rows
-- instead of walking every task of the plan. The triggers below follow every insert, delete
-- and update of tasks and matters, whichever path makes it.
-- A matter without an area or a body is kept under '' (a primary key cannot hold NULL).
CREATE TABLE plan_rollups (
    plan            TEXT NOT NULL,
    area            TEXT NOT NULL,
    jurisdiction    TEXT NOT NULL,
    published       BOOLEAN NOT NULL,
    body            TEXT NOT NULL,
    tasks           BIGINT NOT NULL,
    reported        BIGINT NOT NULL,
    reported_sum    BIGINT NOT NULL,
    reported_done   BIGINT NOT NULL,
    verified        BIGINT NOT NULL,
    verified_sum    BIGINT NOT NULL,
    verified_done   BIGINT NOT NULL,
    PRIMARY KEY (plan, area, jurisdiction, published, body)
);

INSERT INTO plan_rollups
SELECT m.plan, COALESCE(m.area, ''), t.jurisdiction, m.published, COALESCE(m.body, ''),
       COUNT(*), COUNT(t.reported_percent), COALESCE(SUM(t.reported_percent), 0),
       COUNT(*) FILTER (WHERE t.reported_percent = 100),
       COUNT(t.verified_percent), COALESCE(SUM(t.verified_percent), 0),
       COUNT(*) FILTER (WHERE t.verified_percent = 100)
FROM tasks t JOIN matters m ON m.key = t.matter
WHERE t.parent IS NULL
GROUP BY m.plan, COALESCE(m.area, ''), t.jurisdiction, m.published, COALESCE(m.body, '');

-- One member's task entering (sign 1) or leaving (sign -1) a group.
CREATE TYPE plan_rollup_change AS (
    plan            TEXT,
    area            TEXT,
    jurisdiction    TEXT,
    published       BOOLEAN,
    body            TEXT,
    sign            BIGINT,
    reported        BIGINT,
    verified        BIGINT
);

-- Adds the changes to their groups, in key order (so that concurrent writers lock groups in
-- the same order), skipping groups whose figures do not move.
CREATE FUNCTION plan_rollups_apply(changes plan_rollup_change[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO plan_rollups AS r
    SELECT * FROM (
        SELECT c.plan, c.area, c.jurisdiction, c.published, c.body,
               SUM(c.sign) AS tasks,
               COALESCE(SUM(c.sign) FILTER (WHERE c.reported IS NOT NULL), 0) AS reported,
               COALESCE(SUM(c.sign * c.reported), 0) AS reported_sum,
               COALESCE(SUM(c.sign) FILTER (WHERE c.reported = 100), 0) AS reported_done,
               COALESCE(SUM(c.sign) FILTER (WHERE c.verified IS NOT NULL), 0) AS verified,
               COALESCE(SUM(c.sign * c.verified), 0) AS verified_sum,
               COALESCE(SUM(c.sign) FILTER (WHERE c.verified = 100), 0) AS verified_done
        FROM unnest(changes) c
        GROUP BY c.plan, c.area, c.jurisdiction, c.published, c.body
    ) s
    WHERE (s.tasks, s.reported, s.reported_sum, s.reported_done, s.verified, s.verified_sum,
           s.verified_done) <> (0, 0, 0, 0, 0, 0, 0)
    ORDER BY s.plan, s.area, s.jurisdiction, s.published, s.body
    ON CONFLICT (plan, area, jurisdiction, published, body) DO UPDATE SET
        tasks = r.tasks + excluded.tasks,
        reported = r.reported + excluded.reported,
        reported_sum = r.reported_sum + excluded.reported_sum,
        reported_done = r.reported_done + excluded.reported_done,
        verified = r.verified + excluded.verified,
        verified_sum = r.verified_sum + excluded.verified_sum,
        verified_done = r.verified_done + excluded.verified_done
$$;

-- Tasks: the rows a statement removed leave their groups, the rows it added join theirs. The
-- groups come from the tasks' matters as they stand.
CREATE FUNCTION plan_rollups_follow_tasks() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changes plan_rollup_change[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        changes := changes || ARRAY(
            SELECT ROW(m.plan, COALESCE(m.area, ''), t.jurisdiction, m.published,
                       COALESCE(m.body, ''), -1, t.reported_percent, t.verified_percent
                   )::plan_rollup_change
            FROM old_tasks t JOIN matters m ON m.key = t.matter
            WHERE t.parent IS NULL);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        changes := changes || ARRAY(
            SELECT ROW(m.plan, COALESCE(m.area, ''), t.jurisdiction, m.published,
                       COALESCE(m.body, ''), 1, t.reported_percent, t.verified_percent
                   )::plan_rollup_change
            FROM new_tasks t JOIN matters m ON m.key = t.matter
            WHERE t.parent IS NULL);
    END IF;
    IF cardinality(changes) > 0 THEN
        PERFORM plan_rollups_apply(changes);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER plan_rollups_tasks_added AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION plan_rollups_follow_tasks();
CREATE TRIGGER plan_rollups_tasks_changed AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS old_tasks NEW TABLE AS new_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION plan_rollups_follow_tasks();
CREATE TRIGGER plan_rollups_tasks_removed AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION plan_rollups_follow_tasks();

-- Matters moved to another plan or area, published or withdrawn, or given to another body:
-- their members' tasks leave the old groups for the new.
CREATE FUNCTION plan_rollups_follow_matters() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changes plan_rollup_change[];
BEGIN
    changes := ARRAY(
        SELECT ROW(g.plan, g.area, t.jurisdiction, g.published, g.body, g.sign,
                   t.reported_percent, t.verified_percent)::plan_rollup_change
        FROM old_matters o
        JOIN new_matters n ON n.key = o.key
        CROSS JOIN LATERAL (VALUES
            (o.plan, COALESCE(o.area, ''), o.published, COALESCE(o.body, ''), -1),
            (n.plan, COALESCE(n.area, ''), n.published, COALESCE(n.body, ''), 1)
        ) g (plan, area, published, body, sign)
        JOIN tasks t ON t.matter = n.key AND t.parent IS NULL
        WHERE (o.plan, o.area, o.published, o.body) IS DISTINCT FROM
              (n.plan, n.area, n.published, n.body));
    IF cardinality(changes) > 0 THEN
        PERFORM plan_rollups_apply(changes);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER plan_rollups_matters_changed AFTER UPDATE ON matters
    REFERENCING OLD TABLE AS old_matters NEW TABLE AS new_matters
    FOR EACH STATEMENT EXECUTE FUNCTION plan_rollups_follow_matters();

-- The roll-up no longer reads the tasks' figures, so the index that carried them gives way to
-- one without them, which a progress report need not update: a list still finds its matters'
-- members' tasks by matter and place in the tree.
DROP INDEX tasks_rollup;
CREATE INDEX tasks_matter_parent ON tasks (matter, parent);
