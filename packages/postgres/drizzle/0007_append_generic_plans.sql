-- append_events (0006's thirteen-argument function) plans its statements once per connection.
-- PL/pgSQL caches each statement's plan and, under the default plan_cache_mode, keeps planning it
-- for each call while the generic plan's estimate is higher than the custom plans'. For the read
-- of the streams' versions it always is (a generic plan reckons `unnest(p_streams)` at 10 rows, a
-- custom one sees 1), so every append planned that statement anew: about 0.11 ms of its 0.25 ms
-- on the server (2,000 single appends in a PL/pgSQL loop: 0.26 → 0.14 ms each). Every statement
-- of the function is a key lookup, a seek or an insert whose plan does not depend on the values;
-- the condition's probe runs through EXECUTE, which plans each time anyway.
ALTER FUNCTION "append_events"(text, bigint, text, jsonb, text, text, text[], jsonb, text[], text, text[], bigint[], jsonb)
	SET plan_cache_mode = force_generic_plan;
