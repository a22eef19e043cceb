import { useId } from "react";

export interface DailyDownloads {
  day: string;
  count: number;
}

/** Per-version rows summed per day, with the days without downloads in between filled with 0. */
export function downloadsPerDay(rows: ReadonlyArray<{ day: string; count: number }>, days: number, today: Date) {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.day, (counts.get(row.day) ?? 0) + row.count);
  return Array.from({ length: days }, (_, index) => {
    const date = new Date(today);
    date.setUTCDate(date.getUTCDate() - (days - 1 - index));
    const day = date.toISOString().slice(0, 10);
    return { day, count: counts.get(day) ?? 0 };
  });
}

const WIDTH = 600;
const HEIGHT = 120;

/** A bar per day. The numbers are also in a table for screen readers (and for copying). */
export function DownloadsChart({ days }: { days: DailyDownloads[] }) {
  const titleId = useId();
  const highest = Math.max(1, ...days.map((day) => day.count));
  const barWidth = WIDTH / Math.max(1, days.length);
  return (
    <figure className="downloads-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} preserveAspectRatio="none">
        <title id={titleId}>
          Daily downloads, {days[0]?.day} to {days.at(-1)?.day}: {days.reduce((sum, day) => sum + day.count, 0)} in all
        </title>
        {days.map((day, index) => {
          const height = (day.count / highest) * (HEIGHT - 4);
          return (
            <rect
              key={day.day}
              x={index * barWidth + 1}
              y={HEIGHT - height}
              width={Math.max(1, barWidth - 2)}
              height={height}
              className="bar"
            >
              <title>
                {day.day}: {day.count}
              </title>
            </rect>
          );
        })}
      </svg>
      <figcaption>
        <details>
          <summary>Downloads per day</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Downloads</th>
              </tr>
            </thead>
            <tbody>
              {days
                .filter((day) => day.count > 0)
                .map((day) => (
                  <tr key={day.day}>
                    <td>{day.day}</td>
                    <td>{day.count}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
