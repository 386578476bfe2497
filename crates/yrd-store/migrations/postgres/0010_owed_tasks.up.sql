-- What a member owes: its tasks not yet reported done, by due date. A member's workspace and
-- reminders walk this index from the earliest due, however many of the member's earlier tasks
-- are done; the index of all its tasks made them step over every finished one first.
CREATE INDEX tasks_owed ON tasks (jurisdiction, due_date, key)
    WHERE reported_percent IS NULL OR reported_percent < 100;
