// Successes and failures per day as stacked SVG bars. Our own small chart:
// no chart library (nothing evaluated at run time, CSP-safe, themed with the
// Fluent tokens); the same figures are in a table for screen readers.
import { makeStyles, tokens } from '@fluentui/react-components';
import type { ActivityDay } from '../../src-preload/contract.ts';
import { VisuallyHidden } from './VisuallyHidden.tsx';
import { axisLabel, axisWidth, niceMax } from './axis.ts';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '6px' },
  svg: { width: '100%', height: 'auto', display: 'block' },
  legend: { display: 'flex', gap: '16px', fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2 },
  swatch: { display: 'inline-block', width: '10px', height: '10px', marginRight: '6px', borderRadius: '2px' },
});

const W = 720;
const H = 200;
const PAD = { right: 8, top: 10, bottom: 26 };
export function ActivityChart(props: { days: ActivityDay[]; label: string }) {
  const styles = useStyles();
  const days = props.days;
  const max = niceMax(Math.max(0, ...days.map((d) => d.success + d.failure)));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ f, label: axisLabel(max * f) }));
  const left = axisWidth(ticks.map((t) => t.label));
  const plotW = W - left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const totalS = days.reduce((a, d) => a + d.success, 0);
  const totalF = days.reduce((a, d) => a + d.failure, 0);
  const summary = `${props.label}: ${totalS.toLocaleString()} succeeded and ${totalF.toLocaleString()} failed over ${days.length} days.`;
  const ok = tokens.colorPaletteGreenBackground3;
  const bad = tokens.colorPaletteRedBackground3;
  return (
    <div className={styles.root}>
      <svg className={styles.svg} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        {ticks.map(({ f, label }) => (
          <g key={f}>
            <line
              x1={left}
              x2={W - PAD.right}
              y1={y(max * f)}
              y2={y(max * f)}
              stroke={tokens.colorNeutralStroke2}
              strokeWidth={1}
            />
            <text x={left - 6} y={y(max * f) + 4} textAnchor="end" fontSize={10} fill={tokens.colorNeutralForeground3}>
              {label}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const x = left + i * slot + (slot - bar) / 2;
          const hs = (d.success / max) * plotH;
          const hf = (d.failure / max) * plotH;
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${d.success} succeeded, ${d.failure} failed`}</title>
              {d.success > 0 && <rect x={x} y={y(d.success)} width={bar} height={hs} fill={ok} rx={1} />}
              {d.failure > 0 && <rect x={x} y={y(d.success) - hf} width={bar} height={hf} fill={bad} rx={1} />}
              {(i % 5 === 0 || i === days.length - 1) && (
                <text x={x + bar / 2} y={H - 8} textAnchor="middle" fontSize={10} fill={tokens.colorNeutralForeground3}>
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <div className={styles.legend} aria-hidden>
        <span>
          <span className={styles.swatch} style={{ backgroundColor: ok }} />
          Succeeded ({totalS.toLocaleString()})
        </span>
        <span>
          <span className={styles.swatch} style={{ backgroundColor: bad }} />
          Failed ({totalF.toLocaleString()})
        </span>
      </div>
      <VisuallyHidden>
        <table>
          <caption>{props.label} per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Failed</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                <td>{d.success}</td>
                <td>{d.failure}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </VisuallyHidden>
    </div>
  );
}
