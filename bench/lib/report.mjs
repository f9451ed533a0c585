// The human-readable table (stdout) of one bench run.

const ms = (x) => (x === null || x === undefined ? '-' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);
const times = (r) => (r === null || r === undefined ? '-' : `${r.toFixed(2)}×`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const LABEL = 46;

function timingRows(section) {
  const lines = [`   ${pad('', LABEL)}${lpad('median', 10)}${lpad('p90', 10)}${lpad(`÷ ${section.baseline}`, 10)}`];
  for (const r of section.rows) {
    if (!r.ok) {
      lines.push(`   ${pad(r.label, LABEL)}  FAILED: ${r.error}`);
      continue;
    }
    const base = r.id === section.baseline ? '  (baseline)' : '';
    lines.push(`   ${pad(r.label, LABEL)}${lpad(ms(r.medianMs), 10)}${lpad(ms(r.p90Ms), 10)}${lpad(times(r.vsBaseline), 10)}${base}`);
  }
  return lines;
}

function skippedLines(section) {
  return (section.skipped ?? []).map((peer) => `   SKIPPED ${peer}: not installed (see the warning above; apt-get install awscli rclone)`);
}

function verdicts(section) {
  const get = (id) => section.rows.find((r) => r.id === id && r.ok);
  const out = [];
  const claw = get('claw');
  if (!claw) return out;
  const node = get('node');
  if (node)
    out.push(
      `   => claw --version takes ${ms(claw.medianMs - node.medianMs)} more than bare node (${times(node.vsBaseline ? 1 / node.vsBaseline : null)} its time)`,
    );
  const cmp = (x) => (x >= 1 ? `${times(x)} faster than` : `${times(1 / x)} slower than`);
  for (const id of ['aws', 'aws-seq', 'aws-par']) {
    const r = get(id);
    if (r?.vsBaseline) out.push(`   => claw is ${cmp(r.vsBaseline)} ${r.label.replace(/ \(.*\)$/, '')} (median; p90: ${times(r.p90VsBaseline)})`);
  }
  return out;
}

function s3Lines(section) {
  const lines = [`   (${section.runs} timed runs per case after 1 warm-up; the sync cases cap --runs at that)`];
  for (const c of section.cases) {
    lines.push(`   ${c.what}:`);
    lines.push(...timingRows({ rows: c.rows, baseline: 'claw' }));
    for (const r of c.rows) {
      if (!r.ok) continue;
      const req = c.requests[r.peer] ?? {};
      const n = Object.values(req).reduce((a, b) => a + b, 0);
      lines.push(
        `   => ${r.peer}: ${n} request${n === 1 ? '' : 's'} (${Object.entries(req)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
      );
    }
  }
  return lines;
}

function requestLines(section) {
  const sizes = section.sizes;
  const W = 16;
  const head = `   ${pad('', LABEL)}${sizes.map((s) => lpad(`${s.taggedInstances} instances`, W)).join('')}`;
  const cell = (x) => lpad(x === undefined ? '-' : x, W);
  const lines = [head];
  lines.push(`   ${pad('claw status (its --verbose log)', LABEL)}${sizes.map((s) => cell(s.claw?.ok ? s.claw.verbose.total : 'FAILED')).join('')}`);
  lines.push(`   ${pad('claw status (seen at the endpoint)', LABEL)}${sizes.map((s) => cell(s.claw?.ok ? s.claw.endpoint.total : 'FAILED')).join('')}`);
  if (sizes.some((s) => s.aws))
    lines.push(
      `   ${pad('aws CLI script (seen at the endpoint)', LABEL)}${sizes.map((s) => cell(s.aws ? (s.aws.ok ? s.aws.endpoint.total : 'FAILED') : undefined)).join('')}`,
    );
  const ops = (side) => {
    const keys = [...new Set(sizes.flatMap((s) => Object.keys(side(s) ?? {})))].sort();
    return keys.map((k) => `${k} ${sizes.map((s) => side(s)?.[k] ?? 0).join(' → ')}`).join(', ');
  };
  lines.push(`   => claw by operation: ${ops((s) => (s.claw?.ok ? s.claw.endpoint.byOp : undefined))}`);
  if (sizes.some((s) => s.aws?.ok)) lines.push(`   => aws by operation:  ${ops((s) => (s.aws?.ok ? s.aws.endpoint.byOp : undefined))}`);
  if (section.growth) lines.push(`   => ${section.growth}`);
  return lines;
}

export function renderReport(result) {
  const m = result.meta;
  const out = [];
  out.push('claw bench: ratios measured in this one run on this machine. moto is the throughput ceiling, so read the ratios, not the absolute times.');
  out.push(
    `node ${m.node} · moto ${m.peers.moto ?? 'MISSING'} · aws CLI ${m.peers.aws ?? 'MISSING'} · rclone ${m.peers.rclone ?? 'MISSING'} · ${m.runs} timed runs after 1 warm-up · ${m.cpus} CPUs · ${m.startedAt}`,
  );
  if (m.fleet) {
    const f = m.fleet;
    out.push(
      `fleet on moto: ${f.taggedInstances} instances tagged app=clawdinator (${f.registryHosts} in the registry, ${f.stoppedTagged} stopped), ${f.untaggedInstances} other instances, ${f.terminatedTagged} terminated; ${f.taggedAmis} tagged AMIs (+${f.untaggedAmis} untagged own); bucket with ${f.objects} objects`,
    );
  }
  for (const line of result.warnings) out.push(`WARNING: ${line}`);
  const byId = Object.fromEntries(result.sections.map((s) => [s.id, s]));
  const order = [
    ['startup', '1. start-up', (s) => [...timingRows(s), ...verdicts(s)]],
    ['fleet-read', '2. fleet read', (s) => [...timingRows(s), ...verdicts(s)]],
    ['s3', '3. S3 sync', s3Lines],
    ['requests', '4. AWS requests for one fleet read', requestLines],
    ['tui', '5. dashboard', (s) => s.lines],
  ];
  for (const [id, fallback, body] of order) {
    const s = byId[id];
    out.push('');
    if (!s) {
      out.push(`${fallback}: SKIPPED (${result.skippedSections[id] ?? 'not run'})`);
      continue;
    }
    out.push(`${fallback.split(' ')[0]} ${s.title}`);
    out.push(...body(s), ...skippedLines(s));
  }
  if (result.notes.length) {
    out.push('', 'notes:');
    for (const n of result.notes) out.push(` - ${n}`);
  }
  out.push('', result.clawFailures.length ? `CLAW FAILED:\n${result.clawFailures.map((f) => ` - ${f}`).join('\n')}` : 'claw: all runs ok');
  return `${out.join('\n')}\n`;
}
