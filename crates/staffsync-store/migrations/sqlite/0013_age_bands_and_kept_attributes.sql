-- Age bands without birth dates, and only the attributes that are used (issue 24),
-- sqlite flavour. Keep in step with ../postgres/0011_age_bands_and_kept_attributes.sql.

-- The month on whose first day a person's next age band begins (`YYYY-MM`): all the
-- daily date check needs to move age bands. The birth date itself is never stored.
ALTER TABLE employees ADD COLUMN age_band_next TEXT;

-- The labels of the attributes the credential can read, by key (JSON object), so that
-- settings can name a custom attribute by its label before the directory holds it.
ALTER TABLE connections ADD COLUMN attribute_labels TEXT NOT NULL DEFAULT '{}';

-- From now on custom attributes are kept only when the settings name them. An account
-- upgraded from an earlier release keeps what it kept: its settings list every custom
-- attribute its directory holds (by the name the directory holds it by) as kept, and
-- the history records that as a version made by the upgrade. Standard attributes with
-- a key of their own (and an employee file's `language`) are always kept.
UPDATE accounts SET policy = json_set(policy, '$.keep_attributes', json((
    SELECT json_group_array(name) FROM (
        SELECT DISTINCT j.key AS name
        FROM employees e, json_each(e.attributes) j
        WHERE e.account_id = accounts.id
          AND j.key NOT IN ('preferred_name', 'gender', 'employment_type', 'subcompany',
                            'cost_centers', 'language')
        ORDER BY name))))
WHERE EXISTS (
    SELECT 1 FROM employees e, json_each(e.attributes) j
    WHERE e.account_id = accounts.id
      AND j.key NOT IN ('preferred_name', 'gender', 'employment_type', 'subcompany',
                        'cost_centers', 'language'));

INSERT INTO settings_versions (account_id, version, settings, changed_by, changed_at)
SELECT a.id,
       COALESCE((SELECT MAX(v.version) FROM settings_versions v WHERE v.account_id = a.id), 0) + 1,
       a.policy,
       'upgrade: kept the attributes the directory held',
       strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
FROM accounts a
WHERE json_extract(a.policy, '$.keep_attributes') IS NOT NULL;
