-- append_events (0008's function) reads the instance's previous position in one step of the
-- (instance, position) index whatever the table holds. Since 0007 the function runs with generic
-- plans, and the generic plan of that read walked the primary key from the table's end, keeping
-- the first event of the instance: cheap for an instance written last, but for a quiet instance in
-- a table where another wrote since, a walk past every such event: 14–26 ms per append behind
-- 100,000 of them, 1.6–2.7 ms now (`bench/src/profile-quiet-append.ts`). The body is otherwise
-- 0008's.
CREATE OR REPLACE FUNCTION "append_events"(
	p_ref text, p_seed bigint, p_schema text, p_rows jsonb, p_stream text, p_ts text,
	p_streams text[], p_checks jsonb, p_event_ids text[],
	p_probe text, p_probe_text text[], p_probe_num bigint[], p_kv jsonb
) RETURNS TABLE(
	r_outcome integer, r_instance text, r_listened boolean, r_retained boolean, r_previous bigint,
	r_actual jsonb, r_position bigint, r_sequence bigint, r_conflict bigint
) LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
	v_locked text;
	v_id text;
	v_listened boolean;
	v_retained boolean;
	v_versions jsonb;
	v_empty text[];
	v_previous bigint;
	v_conflict bigint;
	v_probe text;
	v_name text;
BEGIN
	-- The reference resolved (or itself: the id an auto-created instance gets), then its lock; then,
	-- holding the listener barrier until commit, whether anyone listens (as lockInstanceRef does).
	v_locked := coalesce((SELECT i.id FROM instances i WHERE i.id = p_ref OR i.name = p_ref
		ORDER BY (i.id = p_ref) DESC LIMIT 1), p_ref);
	PERFORM pg_advisory_xact_lock(hashtextextended(v_locked, p_seed));
	PERFORM pg_advisory_xact_lock_shared(hashtext('eventlog.listen-barrier'), hashtext(p_schema));
	v_listened := NOT pg_try_advisory_lock(hashtext('eventlog.listeners'), hashtext(p_schema));
	IF NOT v_listened THEN
		PERFORM pg_advisory_unlock(hashtext('eventlog.listeners'), hashtext(p_schema));
	END IF;
	-- From here every statement sees what the previous holder of the lock committed.
	SELECT i.id, (i.retention_max_age_ms IS NOT NULL OR i.retention_max_events IS NOT NULL)
		INTO v_id, v_retained
		FROM instances i WHERE i.id = p_ref OR i.name = p_ref ORDER BY (i.id = p_ref) DESC LIMIT 1;
	IF v_id IS NULL OR v_id <> v_locked THEN
		RETURN QUERY SELECT 0, NULL::text, NULL::boolean, NULL::boolean, NULL::bigint, NULL::jsonb, NULL::bigint, NULL::bigint, NULL::bigint;
		RETURN;
	END IF;
	IF p_event_ids IS NOT NULL AND EXISTS (SELECT 1 FROM events e
			WHERE e.instance_id = v_id AND e.event_id = ANY(p_event_ids)) THEN
		RETURN QUERY SELECT 0, NULL::text, NULL::boolean, NULL::boolean, NULL::bigint, NULL::jsonb, NULL::bigint, NULL::bigint, NULL::bigint;
		RETURN;
	END IF;
	-- Each stream's last sequence number (or the version it kept when its events were removed).
	-- The streams holding no event are noted on the way (the stream count gains those written to).
	SELECT jsonb_object_agg(s.stream, coalesce(greatest(l.last, (SELECT f.version FROM stream_floors f
				WHERE f.instance_id = v_id AND f.stream_id = s.stream)), 0)),
			array_agg(s.stream) FILTER (WHERE l.last IS NULL)
		INTO v_versions, v_empty
		FROM unnest(p_streams) AS s(stream)
		LEFT JOIN LATERAL (SELECT e.sequence_number AS last FROM events e
			WHERE e.instance_id = v_id AND e.stream_id = s.stream ORDER BY e.sequence_number DESC LIMIT 1) l ON true;
	-- The condition: the first event after `after` matching an item, read after the lock. The
	-- probe is prepared once per connection and shape (its text names it), so its plan is kept.
	IF p_probe IS NOT NULL THEN
		v_probe := 'eventlog_probe_' || md5(p_probe);
		BEGIN
			EXECUTE format('EXECUTE %I(%L, %L, %L)', v_probe, v_id, p_probe_text, p_probe_num) INTO v_conflict;
		EXCEPTION WHEN invalid_sql_statement_name THEN
			-- Not prepared on this connection yet. Conditions of many shapes: at most 64 are kept.
			IF (SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'eventlog\_probe\_%') >= 64 THEN
				FOR v_name IN SELECT name FROM pg_prepared_statements WHERE name LIKE 'eventlog\_probe\_%' LOOP
					EXECUTE format('DEALLOCATE %I', v_name);
				END LOOP;
			END IF;
			EXECUTE format('PREPARE %I(text, text[], bigint[]) AS %s', v_probe, p_probe);
			EXECUTE format('EXECUTE %I(%L, %L, %L)', v_probe, v_id, p_probe_text, p_probe_num) INTO v_conflict;
		END;
	END IF;
	IF v_conflict IS NOT NULL OR (p_checks IS NOT NULL AND NOT coalesce((SELECT bool_and(CASE c.k
			WHEN 'exact' THEN coalesce((v_versions ->> c.s)::bigint, 0) = c.v
			WHEN 'exists' THEN coalesce((v_versions ->> c.s)::bigint, 0) > 0
			ELSE true END)
		FROM jsonb_to_recordset(p_checks) AS c(s text, k text, v bigint)), true)) THEN
		RETURN QUERY SELECT 2, v_id, v_listened, v_retained, NULL::bigint, v_versions, NULL::bigint, NULL::bigint, v_conflict;
		RETURN;
	END IF;
	-- Key-value writes (a snapshot) commit with the events.
	IF p_kv IS NOT NULL THEN
		INSERT INTO kv AS k (namespace, key, value, version)
		SELECT w.n, w.k, w.v, 1 FROM jsonb_to_recordset(p_kv) AS w(n text, k text, v jsonb)
		ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = k.version + 1;
	END IF;
	-- The instance's highest position: one backward step of the (instance, position) index.
	-- `= ANY` of a one-element array and both columns in ORDER BY, because with `instance_id = v_id`
	-- the generic plan took the instance as fixed, dropped it from the order and, reckoning the
	-- instance holds 1/n of the events, walked the primary key from the table's end: past every
	-- event other instances wrote since this one's last (SqlDialect.leadingEquals in @eventlog/sql).
	v_previous := coalesce((SELECT e.global_position FROM events e WHERE e.instance_id = ANY(ARRAY[v_id])
		ORDER BY e.instance_id DESC, e.global_position DESC LIMIT 1), 0);
	-- Inserted in event order: positions are drawn as rows are inserted, so they follow it.
	RETURN QUERY WITH ins AS (
		INSERT INTO events (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp, event_id, tags)
		SELECT r.i, v_id, coalesce(r.s, p_stream), (v_versions ->> coalesce(r.s, p_stream))::bigint + r.n, r.t, r.p,
			coalesce(r.m, '{}'::jsonb), coalesce(r.ts, p_ts), r.e, r.g
		FROM ROWS FROM (jsonb_to_recordset(p_rows) AS (i text, t text, p jsonb, s text, ts text, m jsonb, q int8, n int8, e text, g jsonb))
			WITH ORDINALITY AS r
		ORDER BY r.ordinality
		RETURNING events.global_position, events.sequence_number, events.instance_id, events.stream_id, events.event_type, events.tags
	), tag_rows AS (
		INSERT INTO event_tags (instance_id, tag, global_position)
		SELECT ins.instance_id, t.tag, ins.global_position
		FROM ins CROSS JOIN LATERAL jsonb_array_elements_text(ins.tags) AS t(tag)
		WHERE ins.tags IS NOT NULL
	), count_rows AS (
		INSERT INTO event_type_counts AS c (instance_id, event_type, n)
		SELECT ins.instance_id, ins.event_type, count(*) FROM ins GROUP BY ins.instance_id, ins.event_type
		ON CONFLICT (instance_id, event_type) DO UPDATE SET n = c.n + excluded.n
	), stream_rows AS (
		-- The streams written to that held no event before (read with the versions, under the lock).
		INSERT INTO instance_stream_counts AS c (instance_id, n)
		SELECT v_id, count(DISTINCT ins.stream_id) FROM ins WHERE ins.stream_id = ANY(v_empty)
		HAVING count(*) > 0
		ON CONFLICT (instance_id) DO UPDATE SET n = c.n + excluded.n
	)
	SELECT 1, v_id, v_listened, v_retained, v_previous, NULL::jsonb, ins.global_position, ins.sequence_number, NULL::bigint FROM ins;
END
$fn$;
