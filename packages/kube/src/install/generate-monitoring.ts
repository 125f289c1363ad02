/**
 * `npm run monitoring`: writes the single machine's Prometheus configuration, alert rules and
 * Grafana dashboard to `deploy/monitoring/`. The staleness test fails until this has run after a
 * change to the rules or the panels.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_MONITORING_DIR, localMonitoringFiles } from './local-monitoring.ts';

const files = localMonitoringFiles();
mkdirSync(LOCAL_MONITORING_DIR, { recursive: true });
for (const [file, text] of files) writeFileSync(join(LOCAL_MONITORING_DIR, file), text);
// The repository's formatter owns the layout of JSON files (the staleness test compares values).
execFileSync('npx', ['biome', 'format', '--write', LOCAL_MONITORING_DIR], { stdio: 'inherit' });
console.log(`wrote ${files.size} files to deploy/monitoring/`);
