import { Box, Static, Text } from 'ink';
import { describeProgress, fraction, type ProgressModel } from './progress-model.js';

const TONE = { ok: 'green', skipped: 'yellow', failed: 'red', warning: 'yellow', plan: 'cyan' } as const;
const WIDTH = 24;

function Bar({ value }: { value: number }) {
  const filled = Math.round(value * WIDTH);
  return <Text>{`[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.round(value * 100)).padStart(3)}%`}</Text>;
}

/** Finished steps scroll away above (Static); running steps redraw below, one line each. */
export function ProgressView({ model, now }: { model: ProgressModel; now: number }) {
  return (
    <>
      <Static items={model.finished}>
        {(l) => (
          <Text key={l.key} color={TONE[l.tone]}>
            {l.text}
          </Text>
        )}
      </Static>
      <Box flexDirection="column">
        {model.active.map((s) => {
          const f = fraction(s);
          return (
            <Box key={s.step} gap={1}>
              <Text bold>{s.step}</Text>
              {f !== undefined ? <Bar value={f} /> : null}
              <Text dimColor>{describeProgress(s, now)}</Text>
            </Box>
          );
        })}
      </Box>
    </>
  );
}
