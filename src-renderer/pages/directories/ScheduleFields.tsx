// The directory form's schedule: when it imports on its own (off / every N
// minutes / daily at a time), how often a full read is forced, whether a safe
// run commits on its own or every run waits for review, and who is mailed
// when a run is held, fails or is quarantined.
import { Field, Input, Radio, RadioGroup, Select, makeStyles } from '@fluentui/react-components';
import { scheduleDefaults } from '../../../src-preload/directory.ts';

const useStyles = makeStyles({
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(220px, 1fr))', gap: '12px' },
});

export function ScheduleFields(props: {
  value: (path: string) => unknown;
  set: (path: string, v: unknown) => void;
  err: (path: string) => string | undefined;
  errorUnder: (path: string) => string | undefined;
}) {
  const styles = useStyles();
  const { set, err } = props;
  const value = <K extends keyof typeof scheduleDefaults>(k: K) =>
    (props.value(`schedule.${k}`) ?? scheduleDefaults[k]) as (typeof scheduleDefaults)[K];
  // The form keeps the whole schedule: an older directory without one gets the defaults on first change.
  const change = (k: keyof typeof scheduleDefaults, v: unknown) => {
    if (props.value('schedule') === undefined) set('schedule', { ...scheduleDefaults });
    set(`schedule.${k}`, v);
  };
  const state = (path: string) => (err(path) ? 'error' : 'none');
  const mode = value('mode');
  const number = (v: string) => (v === '' ? '' : Number(v));
  return (
    <>
      <div className={styles.grid}>
        <Field label="Run the import">
          <Select value={mode} onChange={(_, d) => change('mode', d.value)}>
            <option value="off">Off (only when you click Preview)</option>
            <option value="interval">Every N minutes</option>
            <option value="daily">Daily at a time</option>
          </Select>
        </Field>
        {mode === 'interval' && (
          <Field
            label="Minutes between runs"
            hint="At least 5."
            validationMessage={err('schedule.everyMinutes')}
            validationState={state('schedule.everyMinutes')}
          >
            <Input
              type="number"
              min={5}
              value={String(value('everyMinutes'))}
              onChange={(_, d) => change('everyMinutes', number(d.value))}
            />
          </Field>
        )}
        {mode === 'daily' && (
          <Field
            label="Time of day"
            validationMessage={err('schedule.dailyAt')}
            validationState={state('schedule.dailyAt')}
          >
            <Input type="time" value={value('dailyAt')} onChange={(_, d) => change('dailyAt', d.value)} />
          </Field>
        )}
        {mode !== 'off' && (
          <Field
            label="Read everything every N days"
            hint="Scheduled runs read only the changes; 0 never forces a full read."
            validationMessage={err('schedule.fullReadEveryDays')}
            validationState={state('schedule.fullReadEveryDays')}
          >
            <Input
              type="number"
              min={0}
              value={String(value('fullReadEveryDays'))}
              onChange={(_, d) => change('fullReadEveryDays', number(d.value))}
            />
          </Field>
        )}
      </div>
      {mode !== 'off' && (
        <>
          <Field label="What a scheduled run may do">
            <RadioGroup value={value('autoCommit')} onChange={(_, d) => change('autoCommit', d.value)}>
              <Radio
                value="safe"
                label="Commit on its own when there are no conflicts and it stays under the deletion threshold; otherwise hold it for review"
              />
              <Radio value="hold" label="Always hold for review (preview only)" />
            </RadioGroup>
          </Field>
          <Field
            label="Mail these admins when a run is held, fails or is quarantined"
            hint="Addresses separated by commas; sent through the mail settings (Settings → Mail)."
            validationMessage={props.errorUnder('schedule.notify') ?? err('schedule.notify')}
            validationState={props.errorUnder('schedule.notify') || err('schedule.notify') ? 'error' : 'none'}
          >
            <Input
              value={value('notify').join(', ')}
              onChange={(_, d) =>
                change(
                  'notify',
                  d.value
                    .split(',')
                    .map((s) => s.trim())
                    .filter((s, i, all) => s !== '' || i === all.length - 1),
                )
              }
            />
          </Field>
        </>
      )}
    </>
  );
}
