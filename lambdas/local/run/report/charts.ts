import * as echarts from 'echarts';

/** A bar chart's data: one category axis, one or more series. */
export interface BarChart {
  readonly id: string;
  readonly title: string;
  readonly categories: readonly string[];
  readonly series: readonly { readonly name: string; readonly values: readonly number[] }[];
  /** Stack the series (size = targeted + hold-out). */
  readonly stacked?: boolean;
  /** Bars along the y axis, for long category names. */
  readonly horizontal?: boolean;
}

const COLOURS = ['#2f6f9f', '#e0a030', '#5a9f5a', '#b04a4a', '#7a5fa0'];

/**
 * Renders a chart to static SVG with ECharts' server-side renderer, so the report opens from disk
 * with no script and no network. Each bar carries `data-point` for tests and accessibility tools.
 */
export function barChartSvg(chart: BarChart): string {
  const height = chart.horizontal ? Math.max(240, 28 * chart.categories.length + 80) : 320;
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 760, height });
  const category = {
    type: 'category' as const,
    data: [...chart.categories],
    axisLabel: { interval: 0, width: 180, overflow: 'truncate' as const },
  };
  const value = { type: 'value' as const };
  instance.setOption({
    animation: false,
    color: COLOURS,
    title: { text: chart.title, left: 0, textStyle: { fontSize: 14 } },
    legend: chart.series.length > 1 ? { top: 0, right: 0 } : undefined,
    grid: {
      left: chart.horizontal ? 190 : 60,
      right: 20,
      top: 40,
      bottom: chart.horizontal ? 30 : 70,
      containLabel: false,
    },
    xAxis: chart.horizontal ? value : { ...category, axisLabel: { ...category.axisLabel, rotate: 30 } },
    yAxis: chart.horizontal ? category : value,
    series: chart.series.map((s) => ({
      name: s.name,
      type: 'bar',
      stack: chart.stacked ? 'total' : undefined,
      data: [...s.values],
    })),
  });
  const svg = instance.renderToSVGString();
  instance.dispose();
  const points = chart.series.reduce((total, s) => total + s.values.length, 0);
  return svg.replace(
    '<svg ',
    `<svg role="img" aria-label="${escapeHtml(chart.title)}" data-chart="${chart.id}" data-points="${points}" `,
  );
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
