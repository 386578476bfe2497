-- Each plan's roll-up, kept up to date by the writes themselves: the members' tasks (not
-- sub-tasks) counted and summed by plan, area and member, and by what decides who may see
-- them (the matter's publication and body). Reading a plan's roll-up then sums a few rows
-- instead of walking every task of the plan. The triggers below follow every insert, delete
-- and relevant update of tasks and matters, whichever path makes it.
-- A matter without an area or a body is kept under '' (a primary key cannot hold NULL).
CREATE TABLE plan_rollups (
    plan            TEXT NOT NULL,
    area            TEXT NOT NULL,
    jurisdiction    TEXT NOT NULL,
    published       INTEGER NOT NULL,
    body            TEXT NOT NULL,
    tasks           INTEGER NOT NULL,
    reported        INTEGER NOT NULL,
    reported_sum    INTEGER NOT NULL,
    reported_done   INTEGER NOT NULL,
    verified        INTEGER NOT NULL,
    verified_sum    INTEGER NOT NULL,
    verified_done   INTEGER NOT NULL,
    PRIMARY KEY (plan, area, jurisdiction, published, body)
) STRICT, WITHOUT ROWID;

INSERT INTO plan_rollups
SELECT m.plan, COALESCE(m.area, ''), t.jurisdiction, m.published, COALESCE(m.body, ''),
       COUNT(*), COUNT(t.reported_percent), COALESCE(SUM(t.reported_percent), 0),
       SUM(CASE WHEN t.reported_percent = 100 THEN 1 ELSE 0 END),
       COUNT(t.verified_percent), COALESCE(SUM(t.verified_percent), 0),
       SUM(CASE WHEN t.verified_percent = 100 THEN 1 ELSE 0 END)
FROM tasks t JOIN matters m ON m.key = t.matter
WHERE t.parent IS NULL
GROUP BY m.plan, COALESCE(m.area, ''), t.jurisdiction, m.published, COALESCE(m.body, '');

-- Members' tasks entering (sign 1) or leaving (sign -1) a group: what the triggers on tasks
-- and matters write, and the one place that adds it to the groups.
CREATE VIEW plan_rollup_changes (plan, area, jurisdiction, published, body, sign, reported,
    verified) AS
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER plan_rollup_changes_applied INSTEAD OF INSERT ON plan_rollup_changes
BEGIN
    INSERT INTO plan_rollups
    VALUES (NEW.plan, NEW.area, NEW.jurisdiction, NEW.published, NEW.body, NEW.sign,
            NEW.sign * (NEW.reported IS NOT NULL), NEW.sign * COALESCE(NEW.reported, 0),
            NEW.sign * COALESCE(NEW.reported = 100, 0),
            NEW.sign * (NEW.verified IS NOT NULL), NEW.sign * COALESCE(NEW.verified, 0),
            NEW.sign * COALESCE(NEW.verified = 100, 0))
    ON CONFLICT (plan, area, jurisdiction, published, body) DO UPDATE SET
        tasks = tasks + excluded.tasks,
        reported = reported + excluded.reported,
        reported_sum = reported_sum + excluded.reported_sum,
        reported_done = reported_done + excluded.reported_done,
        verified = verified + excluded.verified,
        verified_sum = verified_sum + excluded.verified_sum,
        verified_done = verified_done + excluded.verified_done;
END;

-- A member's task added: it joins its group.
CREATE TRIGGER plan_rollups_task_added AFTER INSERT ON tasks WHEN NEW.parent IS NULL
BEGIN
    INSERT INTO plan_rollup_changes
    SELECT m.plan, COALESCE(m.area, ''), NEW.jurisdiction, m.published, COALESCE(m.body, ''),
           1, NEW.reported_percent, NEW.verified_percent
    FROM matters m WHERE m.key = NEW.matter;
END;

-- A member's task removed: it leaves its group.
CREATE TRIGGER plan_rollups_task_removed AFTER DELETE ON tasks WHEN OLD.parent IS NULL
BEGIN
    INSERT INTO plan_rollup_changes
    SELECT m.plan, COALESCE(m.area, ''), OLD.jurisdiction, m.published, COALESCE(m.body, ''),
           -1, OLD.reported_percent, OLD.verified_percent
    FROM matters m WHERE m.key = OLD.matter;
END;

-- A task's figures, member, matter or place in the tree changed: the old values leave their
-- group and the new ones join theirs (the same group, for a progress report).
CREATE TRIGGER plan_rollups_task_changed
AFTER UPDATE OF matter, jurisdiction, parent, reported_percent, verified_percent ON tasks
WHEN (OLD.parent IS NULL OR NEW.parent IS NULL)
    AND (OLD.matter IS NOT NEW.matter OR OLD.jurisdiction IS NOT NEW.jurisdiction
        OR OLD.parent IS NOT NEW.parent OR OLD.reported_percent IS NOT NEW.reported_percent
        OR OLD.verified_percent IS NOT NEW.verified_percent)
BEGIN
    INSERT INTO plan_rollup_changes
    SELECT m.plan, COALESCE(m.area, ''), OLD.jurisdiction, m.published, COALESCE(m.body, ''),
           -1, OLD.reported_percent, OLD.verified_percent
    FROM matters m WHERE m.key = OLD.matter AND OLD.parent IS NULL;
    INSERT INTO plan_rollup_changes
    SELECT m.plan, COALESCE(m.area, ''), NEW.jurisdiction, m.published, COALESCE(m.body, ''),
           1, NEW.reported_percent, NEW.verified_percent
    FROM matters m WHERE m.key = NEW.matter AND NEW.parent IS NULL;
END;

-- A matter moved to another plan or area, published or withdrawn, or given to another body:
-- its members' tasks leave the old group for the new.
CREATE TRIGGER plan_rollups_matter_changed
AFTER UPDATE OF plan, area, published, body ON matters
WHEN OLD.plan IS NOT NEW.plan OR OLD.area IS NOT NEW.area
    OR OLD.published IS NOT NEW.published OR OLD.body IS NOT NEW.body
BEGIN
    INSERT INTO plan_rollup_changes
    SELECT OLD.plan, COALESCE(OLD.area, ''), t.jurisdiction, OLD.published,
           COALESCE(OLD.body, ''), -1, t.reported_percent, t.verified_percent
    FROM tasks t WHERE t.matter = NEW.key AND t.parent IS NULL;
    INSERT INTO plan_rollup_changes
    SELECT NEW.plan, COALESCE(NEW.area, ''), t.jurisdiction, NEW.published,
           COALESCE(NEW.body, ''), 1, t.reported_percent, t.verified_percent
    FROM tasks t WHERE t.matter = NEW.key AND t.parent IS NULL;
END;

-- The roll-up no longer reads the tasks' figures, so the index that carried them gives way to
-- one without them, which a progress report need not update: a list still finds its matters'
-- members' tasks by matter and place in the tree.
DROP INDEX tasks_rollup;
CREATE INDEX tasks_matter_parent ON tasks (matter, parent);
