DROP INDEX tasks_rollup;
