DROP INDEX tasks_jurisdiction_due;
CREATE INDEX tasks_jurisdiction_due ON tasks (jurisdiction, due_date);
DROP INDEX indicators_scope;
