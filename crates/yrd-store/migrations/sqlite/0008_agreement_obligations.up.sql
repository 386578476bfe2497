-- An agreement's obligations (its linked matters) are found from the agreement; the primary
-- key, led by the matter, made the planner walk every matter to find them.
CREATE INDEX matter_agreements_agreement ON matter_agreements (agreement, matter);
