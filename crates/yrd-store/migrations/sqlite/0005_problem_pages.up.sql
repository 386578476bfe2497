-- Problems are listed a page at a time, tier by tier and oldest first, whatever their state.
CREATE INDEX problems_tier ON problems (tier, raised_on, key);
