-- Flows with default parameters (all time, every kind, no roll-up) read their largest links and
-- their total from indexes alone.
--
-- The largest links in the exact order flows ranks them (moves DESC, then source, then
-- target), only the rows flows can show: no sort of the ties, no visit to the table per link,
-- no filter on a missing side. It takes the place of the index on (min_confidence, moves
-- DESC), which only flows used.
DROP INDEX move_flow_pairs_moves_idx;
CREATE INDEX move_flow_pairs_links_ranked_idx ON move_flow_pairs
    (min_confidence, moves DESC, from_company_id, to_company_id)
    WHERE from_company_id IS NOT NULL AND to_company_id IS NOT NULL AND moves > 0;

-- The total of moves between companies, summed from a few index pages rather than from the
-- table, which the triggers' updates keep full of dead row versions.
CREATE INDEX company_flow_totals_links_idx ON company_flow_totals (min_confidence)
    INCLUDE (outflow_to_company);
