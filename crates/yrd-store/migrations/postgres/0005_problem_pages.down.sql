DROP INDEX problems_tier;
