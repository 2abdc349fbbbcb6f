-- A partial date is stored as the first day of its period and a precision; this is the last
-- day, so SQL can compare the intervals partial dates cover (the rule of
-- `PartialDate::end`/`order`/`placement` in src/domain/partial_date.rs; a test checks the two
-- agree). A plain SQL function, so the planner inlines it.
CREATE FUNCTION tf_period_end(first_day date, date_precision text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE date_precision
        WHEN 'day' THEN first_day
        WHEN 'month' THEN (first_day + interval '1 month' - interval '1 day')::date
        WHEN 'year' THEN (first_day + interval '1 year' - interval '1 day')::date
    END
$$;
